package evidence

import (
	"strings"
	"testing"
	"unicode"

	"github.com/returnbench/returnbench/inspection"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	fs := newFiles()
	media := []inspection.Media{
		fs.add("m-label", inspection.MediaLabelCloseup, "image/jpeg", "label.jpg", []byte("l"), t0),
		fs.add("m-video", inspection.MediaUnboxingVideo, "video/webm", "unboxing.webm", []byte("v"), t0),
		fs.add("m-1", inspection.MediaContents, "image/jpeg", "c1.jpg", []byte("c1"), t0),
		fs.add("m-2", inspection.MediaDamage, "image/jpeg", "d1.jpg", []byte("d1"), t0),
	}
	yes, no := ptr(true), ptr(false)

	for _, tt := range []struct {
		name   string
		c      Case
		edit   func(f *Facts)
		wantEN []string
		wantZH []string
	}{
		{
			name:   "FalseDefective",
			c:      CaseFalseDefective,
			wantEN: []string{"\"defective\" (DEFECTIVE)", "factory seal was intact", "unboxing video", "SHA-256", "not defective", "March 2, 2026", "Stopped working"},
			wantZH: []string{"商品有缺陷", "原厂封条完好", "开箱视频", "SHA-256", "2026年3月2日", "退货运费"},
		},
		{
			name: "ItemSwapped",
			c:    CaseItemSwapped,
			edit: func(f *Facts) {
				f.Inspection.Verdict = inspection.VerdictItemSwapped
				f.Inspection.Checklist.SameItem = no
			},
			wantEN: []string{"did not contain the item we shipped", "reimburse us for the item (89.99 USD)"},
			wantZH: []string{"并非我们发出的商品", "赔偿（89.99 USD）"},
		},
		{
			name: "SafeT",
			c:    CaseSafeTClaim,
			edit: func(f *Facts) {
				f.Inspection.Grade = inspection.GradeDestroy
				f.Inspection.Checklist.SignsOfUse = yes
			},
			wantEN: []string{"SAFE-T claim for order", "We refunded the buyer 89.99 USD on February 28, 2026", "clear signs of use", "damaged beyond resale"},
			wantZH: []string{"SAFE-T 索赔", "2026年2月28日向买家退款 89.99 USD", "明显的使用痕迹"},
		},
		{
			name: "RestockingFee",
			c:    CaseRestockingFee,
			edit: func(f *Facts) {
				f.Inspection.Grade = inspection.GradeRefurbishedUsed
				f.Inspection.RestockingFeePercent = 20
				f.Inspection.Checklist.SignsOfUse = yes
				f.Inspection.Checklist.AccessoriesComplete = no
			},
			wantEN: []string{"restocking fee of 20% (18.00 USD)", "refunded the remaining 71.99 USD", "accessories were missing", "photos of the item as we received it are attached"},
			wantZH: []string{"20% (18.00 USD) 的重新上架费", "其余 71.99 USD 已退还给您", "部分配件缺失"},
		},
		{
			name:   "AtoZ",
			c:      CaseAtoZResponse,
			edit:   func(f *Facts) { f.Return.AtoZClaim = true },
			wantEN: []string{"A-to-z Guarantee claim on order", "does not accept attachments", "Buyer-Seller Messages", "decide this claim in our favour"},
			wantZH: []string{"亚马逊商城交易保障索赔", "无法上传附件", "买家与卖家消息"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := testFacts(media...)
			if tt.edit != nil {
				tt.edit(f)
			}
			msg := Messages(f, tt.c)
			if !strings.Contains(msg.EN, testOrder) || !strings.Contains(msg.ZH, testOrder) {
				t.Errorf("order id %s missing:\nEN:\n%s\nZH:\n%s", testOrder, msg.EN, msg.ZH)
			}
			if n := hanCount(msg.ZH); n < 40 {
				t.Errorf("ZH has %d Chinese characters, want a Chinese text:\n%s", n, msg.ZH)
			}
			if n := hanCount(msg.EN); n > 0 {
				t.Errorf("EN has %d Chinese characters:\n%s", n, msg.EN)
			}
			for _, w := range tt.wantEN {
				if !strings.Contains(msg.EN, w) {
					t.Errorf("EN lacks %q:\n%s", w, msg.EN)
				}
			}
			for _, w := range tt.wantZH {
				if !strings.Contains(msg.ZH, w) {
					t.Errorf("ZH lacks %q:\n%s", w, msg.ZH)
				}
			}
			t.Logf("\n%s\n%s", msg.EN, msg.ZH)
		})
	}

	t.Run("UnexpectedReturn", func(t *testing.T) {
		// No return: the message still reads, with no empty quotes or "()".
		f := testFacts(media...)
		f.Return = nil
		msg := Messages(f, CaseFalseDefective)
		for _, bad := range []string{"\"\"", "()", "（）", "%!"} {
			if strings.Contains(msg.EN, bad) || strings.Contains(msg.ZH, bad) {
				t.Errorf("message contains %q:\n%s\n%s", bad, msg.EN, msg.ZH)
			}
		}
	})
}

func hanCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			n++
		}
	}
	return n
}
