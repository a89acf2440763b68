package evidence

import (
	"slices"

	"github.com/returnbench/returnbench/inspection"
)

// checkItem is one checklist question in the words documents use.
type checkItem struct {
	Question string
	Answer   *bool
}

// checklistItems lists the bench's questions in the order they are asked.
func checklistItems(c inspection.Checklist) []checkItem {
	return []checkItem{
		{"Outer package intact", c.OuterPackageIntact},
		{"Factory seal intact", c.FactorySealIntact},
		{"All accessories present", c.AccessoriesComplete},
		{"Signs of use", c.SignsOfUse},
		{"Same item as shipped", c.SameItem},
		{"Functional test passed", c.FunctionalTest},
	}
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "Not checked"
	case *b:
		return "Yes"
	default:
		return "No"
	}
}

// finding is one observation in both languages, tagged with what it
// supports, so that each message can pick the facts its request rests on.
type finding struct {
	EN, ZH string
	Tag    string // tagGood, tagBad or tagSwap
}

// Finding tags.
const (
	tagGood = "good" // the item is as we shipped it: supports a dispute
	tagBad  = "bad"  // the item lost value: supports a fee or a SAFE-T claim
	tagSwap = "swap" // the item is not ours
)

// only returns the findings with one of the tags.
func only(fs []finding, tags ...string) []finding {
	var out []finding
	for _, f := range fs {
		if slices.Contains(tags, f.Tag) {
			out = append(out, f)
		}
	}
	return out
}

func is(b *bool) bool  { return b != nil && *b }
func not(b *bool) bool { return b != nil && !*b }

// findings lists what the inspection established, in the order a reader
// weighs it: the strongest facts for the seller first. Negative facts
// (signs of use, missing parts) are included because a fee rests on them
// and a dispute must not hide them.
func findings(in *inspection.Inspection) []finding {
	c := in.Checklist
	var fs []finding
	add := func(tag, en, zh string) { fs = append(fs, finding{en, zh, tag}) }
	if not(c.SameItem) {
		add(tagSwap, "the parcel did not contain the item we shipped: a different item (or nothing) was returned",
			"包裹内并非我们发出的商品：买家退回的是其他物品（或空盒）")
	}
	if is(c.FactorySealIntact) {
		add(tagGood, "the factory seal was intact: the item had never been opened", "原厂封条完好，商品从未被拆封")
	}
	if is(c.OuterPackageIntact) {
		add(tagGood, "the outer packaging was intact", "外包装完好无损")
	}
	if not(c.SignsOfUse) {
		add(tagGood, "there were no signs of use", "商品无任何使用痕迹")
	}
	if is(c.FunctionalTest) {
		add(tagGood, "the item worked and passed our functional test", "商品功能测试正常，运行良好")
	}
	if is(c.AccessoriesComplete) {
		add(tagGood, "all accessories were present", "配件齐全")
	}
	if is(c.SignsOfUse) {
		add(tagBad, "the item showed clear signs of use", "商品有明显的使用痕迹")
	}
	if not(c.AccessoriesComplete) {
		add(tagBad, "accessories were missing", "部分配件缺失")
	}
	if not(c.FactorySealIntact) && !not(c.SameItem) {
		add(tagBad, "the factory seal had been broken", "原厂封条已被拆开")
	}
	if not(c.FunctionalTest) {
		add(tagBad, "the item failed our functional test", "商品未通过功能测试")
	}
	switch in.Grade {
	case inspection.GradeResellable:
		add(tagGood, "the item is in new, resellable condition", "商品状况全新，可直接再次销售")
	case inspection.GradeRefurbishedUsed:
		add(tagBad, "the item can only be sold as used", "商品只能作为二手商品出售")
	case inspection.GradeDestroy:
		add(tagBad, "the item is damaged beyond resale", "商品已损坏，无法再次销售")
	}
	return fs
}

// reasonWords describes a normalised reason code in both languages, for
// readers who do not know Amazon's codes.
func reasonWords(reason string) finding {
	switch reason {
	case "DEFECTIVE":
		return finding{EN: "defective", ZH: "商品有缺陷"}
	case "NOT_AS_DESCRIBED":
		return finding{EN: "not as described", ZH: "商品与描述不符"}
	case "QUALITY_UNACCEPTABLE":
		return finding{EN: "unacceptable quality", ZH: "质量不合格"}
	case "MISSING_PARTS":
		return finding{EN: "missing parts", ZH: "缺少配件"}
	case "SWITCHEROO":
		return finding{EN: "wrong item sent", ZH: "发错商品"}
	case "DAMAGED_BY_CARRIER":
		return finding{EN: "damaged in transit", ZH: "运输途中损坏"}
	case "DAMAGED_BY_FC":
		return finding{EN: "damaged at the fulfilment centre", ZH: "在运营中心受损"}
	case "UNWANTED_ITEM":
		return finding{EN: "no longer needed", ZH: "不再需要"}
	case "ORDERED_WRONG_ITEM", "MISORDERED":
		return finding{EN: "ordered by mistake", ZH: "买错了商品"}
	case "FOUND_BETTER_PRICE":
		return finding{EN: "found a better price", ZH: "在别处找到更低价格"}
	case "NOT_COMPATIBLE":
		return finding{EN: "not compatible", ZH: "不兼容"}
	case "MISSED_ESTIMATED_DELIVERY":
		return finding{EN: "arrived too late", ZH: "未按预计时间送达"}
	case "NO_REASON_GIVEN", "":
		return finding{EN: "no reason given", ZH: "未说明原因"}
	}
	return finding{EN: reason, ZH: reason}
}
