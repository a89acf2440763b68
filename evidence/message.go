package evidence

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/returnbench/returnbench/inspection"
)

// Message is a ready-to-paste text for a Seller Central case, an A-to-z
// response or Buyer-Seller Messages, in English and in Simplified Chinese
// (for the many sellers who work in Chinese; the English one is what
// Amazon reads).
type Message struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// Messages writes the message for case c from the facts: the order, what
// the buyer claimed, what the inspection found, the evidence kept and what
// the seller asks for.
func Messages(f *Facts, c Case) Message {
	m := newMsg(f)
	switch c {
	case CaseItemSwapped:
		m.itemSwapped()
	case CaseSafeTClaim:
		m.safeT()
	case CaseRestockingFee:
		m.restockingFee()
	case CaseAtoZResponse:
		m.atoz()
	default:
		m.falseDefective()
	}
	return Message{EN: strings.TrimSpace(m.en.String()) + "\n", ZH: strings.TrimSpace(m.zh.String()) + "\n"}
}

// msg builds both languages side by side, so that they say the same things.
type msg struct {
	f      *Facts
	en, zh strings.Builder
	loc    *time.Location
}

func newMsg(f *Facts) *msg {
	loc, err := time.LoadLocation(f.Policy.Timezone)
	if err != nil || f.Policy.Timezone == "" {
		loc = time.UTC
	}
	return &msg{f: f, loc: loc}
}

func (m *msg) both(en, zh string) {
	m.en.WriteString(en)
	m.zh.WriteString(zh)
}

func (m *msg) order() string { return orDash(m.f.ret().OrderID) }

// product names the item briefly: listing titles run to 200 characters.
func (m *msg) product() string {
	r := m.f.ret()
	name := strings.Join(strings.Fields(r.ProductName), " ")
	if utf8.RuneCountInString(name) > 80 {
		name = strings.TrimRight(string([]rune(name)[:77]), " ,;-") + "..."
	}
	id := r.ASIN
	if id == "" {
		id = r.SKU
	}
	switch {
	case name != "" && id != "":
		return name + ", " + id
	case name != "":
		return name
	}
	return id
}

// orderZH is "订单 X（product）" followed by the spacing the next
// Chinese word needs: none after a full-width bracket, a space after Latin.
func (m *msg) orderZH() string {
	if p := m.productParen(true); p != "" {
		return "订单 " + m.order() + p
	}
	return "订单 " + m.order() + " "
}

// productParen is " (product)" or nothing.
func (m *msg) productParen(zh bool) string {
	p := m.product()
	switch {
	case p == "":
		return ""
	case zh:
		return "（" + p + "）"
	}
	return " (" + p + ")"
}

func (m *msg) dateEN(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(m.loc).Format("January 2, 2006")
}

func (m *msg) dateZH(t *time.Time) string {
	if t == nil {
		return ""
	}
	l := t.In(m.loc)
	return fmt.Sprintf("%d年%d月%d日", l.Year(), l.Month(), l.Day())
}

// arrived is when the parcel came back, or failing that when it was inspected.
func (m *msg) arrived() *time.Time {
	if a := m.f.ret().ArrivedAt; a != nil {
		return a
	}
	return m.f.Inspection.CapturedAt
}

// received says when the parcel was received and inspected.
func (m *msg) received() {
	if a := m.arrived(); a != nil {
		m.both(fmt.Sprintf("We received the return on %s and inspected it on camera", m.dateEN(a)),
			fmt.Sprintf("我们于%s收到退货，并在全程录像的情况下进行了开箱检查", m.dateZH(a)))
	} else {
		m.both("We received the return and inspected it on camera", "我们收到退货后，在全程录像的情况下进行了开箱检查")
	}
}

// claim states the buyer's reason and comment.
func (m *msg) claim() {
	reason := m.f.reason()
	w := reasonWords(reason)
	if reason == "" {
		m.both("The buyer returned it without giving a reason.", "买家退货时未说明原因。")
	} else {
		m.both(fmt.Sprintf("The buyer returned it giving the reason \"%s\" (%s).", w.EN, reason),
			fmt.Sprintf("买家退货时选择的原因是“%s”（%s）。", w.ZH, reason))
	}
	if c := comment(m.f.ret().BuyerComment); c != "" {
		m.both(fmt.Sprintf(" The buyer wrote: \"%s\"", c), fmt.Sprintf("买家留言称：“%s”", c))
	}
	m.both("\n\n", "\n\n")
}

// comment is the buyer's comment on one line, shortened if very long.
func comment(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 300 {
		s = strings.TrimRight(string([]rune(s)[:297]), " ") + "..."
	}
	return s
}

// found lists findings as bullet points, after an introduction.
func (m *msg) found(fs []finding) {
	if len(fs) == 0 {
		m.both(". The photos and the video document the item's condition as we received it.\n\n",
			"。照片和视频完整记录了商品到货时的状况。\n\n")
		return
	}
	m.both(". We found that:\n", "，结果如下：\n")
	for i, f := range fs {
		endEN, endZH := ";", "；"
		if i == len(fs)-1 {
			endEN, endZH = ".", "。"
		}
		m.both("- "+f.EN+endEN+"\n", "- "+f.ZH+endZH+"\n")
	}
	m.both("\n", "\n")
}

// Where the evidence goes, by case.
const (
	toCase  = iota // attached to a Seller Central case
	toAtoZ         // the A-to-z box takes no attachments
	toBuyer        // attached to a Buyer-Seller message
)

// evidence says what was kept and where it is.
func (m *msg) evidence(to int) {
	f := m.f
	var en, zh []string
	if len(verifiedMedia(f.Media, inspection.MediaLabelCloseup)) > 0 {
		en = append(en, "a close-up photo of the return label")
		zh = append(zh, "退货面单的特写照片")
	}
	if len(verifiedMedia(f.Media, inspection.MediaUnboxingVideo)) > 0 {
		en = append(en, "an unboxing video recorded from the sealed parcel onwards")
		zh = append(zh, "从未拆封的包裹开始拍摄的完整开箱视频")
	}
	others := 0
	for _, p := range photosInOrder(f.Media) {
		if p.Kind != inspection.MediaLabelCloseup {
			others++
		}
	}
	if others > 0 {
		more, moreZH := "", ""
		if len(en) > 0 {
			more, moreZH = " further", "另外"
		} else {
			moreZH = "共"
		}
		en = append(en, fmt.Sprintf("%d%s photo%s of the parcel and the item", others, more, plural(others)))
		zh = append(zh, fmt.Sprintf("%s %d 张包裹和商品的照片", moreZH, others))
	}
	if len(en) == 0 {
		m.both("Our inspection notes are available on request.\n\n", "检查记录可随时提供。\n\n")
		return
	}
	m.both("We have kept "+joinEN(en)+". Each file is identified by its SHA-256 checksum",
		"我们保存了"+joinZH(zh)+"，每个文件都附有 SHA-256 校验值")
	switch to {
	case toAtoZ:
		m.both(". As this form does not accept attachments, we have sent the evidence report (PDF) and the photos through Buyer-Seller Messages for this order.\n\n",
			"。由于本表单无法上传附件，我们已通过“买家与卖家消息”发送了证据报告（PDF）和照片。\n\n")
	case toBuyer:
		m.both("; photos of the item as we received it are attached.\n\n", "。随信附上商品到货时的照片。\n\n")
	default:
		m.both("; the evidence report (PDF) is attached to this case and the original files are available on request.\n\n",
			"。证据报告（PDF）已附在本案中，原始文件可随时提供。\n\n")
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func joinZH(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], "、") + "以及" + items[len(items)-1]
}

func joinEN(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func (m *msg) money(c inspection.Cents) string {
	return strings.TrimSpace(c.String() + " " + m.f.ret().Currency)
}

func (m *msg) closing() { m.both("Thank you.\n", "谢谢！\n") }

func (m *msg) falseDefective() {
	o := m.order()
	m.both(fmt.Sprintf("Order %s: the returned item is not defective\n\nHello,\n\n", o),
		fmt.Sprintf("订单 %s：退回的商品并无质量问题\n\n您好！\n\n", o))
	m.both(fmt.Sprintf("We are writing about the return of order %s%s. ", o, m.productParen(false)),
		"我们就"+m.orderZH()+"的退货与您联系。")
	m.claim()
	m.received()
	m.found(only(findings(&m.f.Inspection), tagGood))
	m.evidence(toCase)
	m.both("The item is not defective, so the reason given for this return is not accurate. "+
		"We ask you to review this return, correct its reason and reimburse the return shipping and any fees charged to us because of it.\n\n",
		"由此可见，商品并不存在质量问题，买家所述的退货原因与事实不符。恳请贵方复核此次退货，更正退货原因，并退还因此向我方收取的退货运费及相关费用。\n\n")
	m.closing()
}

func (m *msg) itemSwapped() {
	o := m.order()
	m.both(fmt.Sprintf("Order %s: the buyer returned a different item\n\nHello,\n\n", o),
		fmt.Sprintf("订单 %s：买家退回的并非我们发出的商品\n\n您好！\n\n", o))
	m.both(fmt.Sprintf("We are writing about the return of order %s%s. ", o, m.productParen(false)),
		"我们就"+m.orderZH()+"的退货与您联系。")
	m.claim()
	m.received()
	fs := only(findings(&m.f.Inspection), tagSwap)
	if len(fs) == 0 {
		fs = []finding{{EN: "the parcel did not contain the item we shipped", ZH: "包裹内并非我们发出的商品"}}
	}
	m.found(fs)
	m.evidence(toCase)
	r := m.f.ret()
	amount := r.RefundAmount
	if amount == 0 {
		amount = r.OrderAmount
	}
	if amount > 0 {
		m.both(fmt.Sprintf("The buyer kept our product and sent back something else. We ask you to reimburse us for the item (%s) and to review this buyer's returns.\n\n", m.money(amount)),
			fmt.Sprintf("买家留下了我们的商品，却退回了其他物品。恳请贵方就该商品向我方赔偿（%s），并对该买家的退货行为进行审查。\n\n", m.money(amount)))
	} else {
		m.both("The buyer kept our product and sent back something else. We ask you to reimburse us for the item and to review this buyer's returns.\n\n",
			"买家留下了我们的商品，却退回了其他物品。恳请贵方就该商品向我方赔偿，并对该买家的退货行为进行审查。\n\n")
	}
	m.closing()
}

func (m *msg) safeT() {
	o := m.order()
	r := m.f.ret()
	m.both(fmt.Sprintf("SAFE-T claim for order %s\n\nHello,\n\n", o), fmt.Sprintf("订单 %s 的 SAFE-T 索赔\n\n您好！\n\n", o))
	m.both(fmt.Sprintf("We are filing a SAFE-T claim for order %s%s. ", o, m.productParen(false)),
		"我们为"+m.orderZH()+"提交 SAFE-T 索赔。")
	if r.RefundedAt != nil && r.RefundAmount > 0 {
		m.both(fmt.Sprintf("We refunded the buyer %s on %s. ", m.money(r.RefundAmount), m.dateEN(r.RefundedAt)),
			fmt.Sprintf("我们已于%s向买家退款 %s。", m.dateZH(r.RefundedAt), m.money(r.RefundAmount)))
	}
	m.claim()
	m.received()
	m.found(only(findings(&m.f.Inspection), tagBad, tagSwap))
	m.evidence(toCase)
	m.both("The item can no longer be sold as new. We ask you to reimburse us for the loss under the SAFE-T programme.\n\n",
		"该商品已无法作为全新商品再次销售。恳请贵方根据 SAFE-T 政策赔偿我方的损失。\n\n")
	m.closing()
}

func (m *msg) restockingFee() {
	o := m.order()
	in := &m.f.Inspection
	r := m.f.ret()
	fee := in.RestockingFeeAmount
	if fee == 0 {
		fee = inspection.RestockingFee(r.OrderAmount, in.RestockingFeePercent)
	}
	m.both(fmt.Sprintf("Your return of order %s: refund and restocking fee\n\nHello,\n\n", o),
		fmt.Sprintf("关于订单 %s 的退货：退款及重新上架费\n\n您好！\n\n", o))
	m.both(fmt.Sprintf("Thank you for returning order %s%s. ", o, m.productParen(false)),
		"感谢您退回"+strings.TrimSpace(m.orderZH())+"。")
	m.received()
	m.found(only(findings(in), tagBad))
	m.evidence(toBuyer)
	feeEN := fmt.Sprintf("%d%%", in.RestockingFeePercent)
	if fee > 0 {
		feeEN += " (" + m.money(fee) + ")"
	}
	m.both(fmt.Sprintf("As the item did not come back in its original condition, we have applied a restocking fee of %s, as our return policy allows", feeEN),
		fmt.Sprintf("由于商品退回时未能保持原始状态，我们已根据退货政策收取 %s 的重新上架费", feeEN))
	if r.OrderAmount > fee && fee > 0 {
		m.both(fmt.Sprintf(", and refunded the remaining %s", m.money(r.OrderAmount-fee)),
			fmt.Sprintf("，其余 %s 已退还给您", m.money(r.OrderAmount-fee)))
	}
	m.both(". If you have any questions, please reply to this message.\n\nKind regards.\n",
		"。如有任何疑问，请直接回复此消息。\n\n祝好！\n")
}

func (m *msg) atoz() {
	o := m.order()
	r := m.f.ret()
	in := &m.f.Inspection
	m.both(fmt.Sprintf("Response to the A-to-z Guarantee claim on order %s\n\nHello,\n\n", o),
		fmt.Sprintf("关于订单 %s 的亚马逊商城交易保障索赔（A-to-z）的答复\n\n您好！\n\n", o))
	m.both(fmt.Sprintf("We are responding to the A-to-z Guarantee claim on order %s%s. ", o, m.productParen(false)),
		"我们就"+m.orderZH()+"的亚马逊商城交易保障索赔作出答复。")
	m.claim()
	m.received()
	switch in.Verdict {
	case inspection.VerdictItemSwapped:
		m.found(only(findings(in), tagSwap))
	case inspection.VerdictClaimDisputed:
		m.found(only(findings(in), tagGood))
	default:
		m.found(findings(in))
	}
	m.evidence(toAtoZ)
	switch {
	case in.Verdict == inspection.VerdictItemSwapped:
		m.both("The buyer returned a different item and kept ours, so we ask you to decide this claim in our favour.\n\n",
			"买家退回的并非我们的商品，却留下了原商品，因此恳请贵方作出有利于我方的裁决。\n\n")
	case in.Verdict == inspection.VerdictClaimDisputed:
		m.both("The item was not as the buyer described, so we ask you to decide this claim in our favour.\n\n",
			"商品并非买家所述的情况，因此恳请贵方作出有利于我方的裁决。\n\n")
	case r.RefundedAt != nil && r.RefundAmount > 0:
		m.both(fmt.Sprintf("We refunded the buyer %s on %s, so we ask you to close this claim.\n\n", m.money(r.RefundAmount), m.dateEN(r.RefundedAt)),
			fmt.Sprintf("我们已于%s向买家退款 %s，因此恳请贵方关闭此索赔。\n\n", m.dateZH(r.RefundedAt), m.money(r.RefundAmount)))
	default:
		m.both("We ask you to take our inspection into account when deciding this claim.\n\n",
			"恳请贵方在裁决此索赔时考虑我们的检查结果。\n\n")
	}
	m.closing()
}
