package server_test

import (
	"testing"
	"time"

	"github.com/returnbench/returnbench/inspection"
)

type dashboardJSON struct {
	From              string `json:"from"`
	To                string `json:"to"`
	Timezone          string `json:"timezone"`
	ReasonsVsVerdicts []struct {
		Reason              string           `json:"reason"`
		BlamesSeller        bool             `json:"blames_seller"`
		Total               int64            `json:"total"`
		Verdicts            map[string]int64 `json:"verdicts"`
		NotConfirmed        int64            `json:"not_confirmed"`
		NotConfirmedPercent *float64         `json:"not_confirmed_percent"`
	} `json:"reasons_vs_verdicts"`
	GradesByWeek       []weekJSON `json:"grades_by_week"`
	DispositionsByWeek []weekJSON `json:"dispositions_by_week"`
	MoneyRecovered     struct {
		RestockingFees inspection.Cents `json:"restocking_fees"`
		Reimbursed     inspection.Cents `json:"reimbursed"`
		ResoldUnits    int64            `json:"resold_units"`
	} `json:"money_recovered"`
	MoneyAtRisk struct {
		ClaimsClosingWithinDays   int              `json:"claims_closing_within_days"`
		ClaimsClosingCount        int              `json:"claims_closing_count"`
		ClaimsClosingRefundAmount inspection.Cents `json:"claims_closing_refund_amount"`
		RefundsOverdueCount       int              `json:"refunds_overdue_count"`
	} `json:"money_at_risk"`
}

type weekJSON struct {
	Week   string           `json:"week"`
	Starts string           `json:"starts"`
	Total  int64            `json:"total"`
	Counts map[string]int64 `json:"counts"`
}

func TestDashboard(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		// Monday 25 August 2025 (ISO week 35), then a week later (week 36).
		clk := &clock{t: time.Date(2025, 8, 25, 12, 0, 0, 0, pacific)}
		ts := mustStartAt(t, dialect, clk)
		lead := ts.mustUser(t, "lee", inspection.RoleLead)
		insp := ts.mustUser(t, "ana", inspection.RoleInspector)
		ret := func(order, reason string, extra map[string]any) string {
			f := map[string]any{"order_id": order, "channel": "mfn", "reason": reason, "order_amount": 100}
			for k, v := range extra {
				f[k] = v
			}
			return ts.mustReturn(t, lead, f)
		}

		// Week 35: a defective claim upheld, one disputed (and restocked).
		ts.mustInspect(t, insp, ret("701-0000000-0000001", "DEFECTIVE", nil), map[string]any{"grade": "refurbished_used",
			"disposition": "list_used", "used_condition": "good", "verdict": "claim_supported"})
		ts.mustInspect(t, insp, ret("701-0000000-0000002", "DEFECTIVE", nil), map[string]any{"grade": "resellable",
			"disposition": "relabel_restock", "verdict": "claim_disputed"}, "label_closeup")

		// Week 36: another disputed defective claim, an unwanted item with a
		// 10% restocking fee, and a parcel nobody expected.
		clk.Add(7 * 24 * time.Hour)
		now := clk.Now()
		ts.mustInspect(t, insp, ret("701-0000000-0000003", "CR-DEFECTIVE", nil), map[string]any{"grade": "destroy",
			"disposition": "dispose", "verdict": "claim_disputed"}, "label_closeup")
		ts.mustInspect(t, insp, ret("701-0000000-0000004", "UNWANTED_ITEM", nil), map[string]any{"grade": "refurbished_used",
			"disposition": "list_used", "used_condition": "good", "verdict": "not_applicable", "restocking_fee_percent": 10})
		ts.mustInspect(t, insp, "", map[string]any{"grade": "destroy", "disposition": "donate", "verdict": "not_applicable"})

		// Money at risk now: a claim closing in 10 days, one in 30; a refund overdue.
		ts.mustReturn(t, lead, map[string]any{"order_id": "112-0000001-0000001", "channel": "fba", "sku": "LAMP-DESK",
			"refunded_at": now.AddDate(0, 0, -110), "refund_amount": 24.50})
		ts.mustReturn(t, lead, map[string]any{"order_id": "702-0000000-0000001", "channel": "fba", "sku": "X",
			"refunded_at": now.AddDate(0, 0, -90), "refund_amount": 5})
		ret("702-0000000-0000002", "DEFECTIVE", map[string]any{"arrived_at": now.AddDate(0, 0, -5)})

		get := func(t *testing.T, query string) dashboardJSON {
			t.Helper()
			res := ts.do(t, request{method: "GET", path: "/api/v1/dashboard" + query, token: lead})
			if res.status != 200 {
				t.Fatalf("dashboard%s: %d %s", query, res.status, res.body)
			}
			var out dashboardJSON
			res.json(t, &out)
			return out
		}

		t.Run("DefaultLast90Days", func(t *testing.T) {
			got := get(t, "")
			if got.From != "2025-06-04" || got.To != "2025-09-01" || got.Timezone != "America/Los_Angeles" {
				t.Fatalf("period %s..%s in %s", got.From, got.To, got.Timezone)
			}
			reasons := map[string]int{}
			for i, r := range got.ReasonsVsVerdicts {
				reasons[r.Reason] = i
			}
			if len(got.ReasonsVsVerdicts) != 3 || got.ReasonsVsVerdicts[0].Reason != "DEFECTIVE" {
				t.Fatalf("reasons %+v, want DEFECTIVE first of three", got.ReasonsVsVerdicts)
			}
			def := got.ReasonsVsVerdicts[0]
			if def.Total != 3 || def.Verdicts["claim_supported"] != 1 || def.Verdicts["claim_disputed"] != 2 || def.Verdicts["item_swapped"] != 0 ||
				def.NotConfirmed != 2 || def.NotConfirmedPercent == nil || *def.NotConfirmedPercent != 66.7 || !def.BlamesSeller {
				t.Errorf("DEFECTIVE: %+v", def)
			}
			if i, ok := reasons["UNWANTED_ITEM"]; !ok || got.ReasonsVsVerdicts[i].Verdicts["not_applicable"] != 1 ||
				got.ReasonsVsVerdicts[i].NotConfirmedPercent != nil || got.ReasonsVsVerdicts[i].BlamesSeller {
				t.Errorf("UNWANTED_ITEM: %+v", got.ReasonsVsVerdicts)
			}
			if i, ok := reasons["UNMATCHED"]; !ok || got.ReasonsVsVerdicts[i].Total != 1 {
				t.Errorf("the unexpected parcel: %+v", got.ReasonsVsVerdicts)
			}

			// Every ISO week of the period, from the one holding 4 June.
			if n := len(got.GradesByWeek); n != 14 || got.GradesByWeek[0].Week != "2025-W23" || got.GradesByWeek[0].Starts != "2025-06-02" ||
				got.GradesByWeek[0].Total != 0 || len(got.GradesByWeek[0].Counts) != 3 {
				t.Fatalf("grade weeks: %d, first %+v", n, got.GradesByWeek[0])
			}
			w35, w36 := got.GradesByWeek[12], got.GradesByWeek[13]
			if w35.Week != "2025-W35" || w35.Total != 2 || w35.Counts["resellable"] != 1 || w35.Counts["refurbished_used"] != 1 {
				t.Errorf("week 35 grades: %+v", w35)
			}
			if w36.Week != "2025-W36" || w36.Starts != "2025-09-01" || w36.Total != 3 || w36.Counts["destroy"] != 2 || w36.Counts["refurbished_used"] != 1 {
				t.Errorf("week 36 grades: %+v", w36)
			}
			d36 := got.DispositionsByWeek[13]
			if d36.Counts["dispose"] != 1 || d36.Counts["donate"] != 1 || d36.Counts["list_used"] != 1 || d36.Counts["relabel_restock"] != 0 ||
				len(d36.Counts) != 6 {
				t.Errorf("week 36 dispositions: %+v", d36)
			}

			m := got.MoneyRecovered
			if m.RestockingFees != 1000 || m.Reimbursed != 0 || m.ResoldUnits != 1 {
				t.Errorf("money recovered: %+v", m)
			}
			r := got.MoneyAtRisk
			if r.ClaimsClosingWithinDays != 14 || r.ClaimsClosingCount != 1 || r.ClaimsClosingRefundAmount != 2450 || r.RefundsOverdueCount != 1 {
				t.Errorf("money at risk: %+v", r)
			}
		})
		t.Run("PeriodAndReimbursement", func(t *testing.T) {
			// Approved 20 September: inside September, and it ends the claim at risk.
			ts.mustImport(t, lead, "fba_reimbursements.tsv", "fba_reimbursements", 2, 0, 0, 0)
			got := get(t, "?from=2025-09-01&to=2025-09-30")
			if m := got.MoneyRecovered; m.Reimbursed != 2450 || m.RestockingFees != 1000 || m.ResoldUnits != 0 {
				t.Errorf("September: %+v", m)
			}
			if len(got.GradesByWeek) != 5 || got.GradesByWeek[0].Week != "2025-W36" || got.GradesByWeek[0].Total != 3 {
				t.Errorf("September weeks: %+v", got.GradesByWeek)
			}
			if r := got.MoneyAtRisk; r.ClaimsClosingCount != 0 || r.ClaimsClosingRefundAmount != 0 {
				t.Errorf("the reimbursed claim is still at risk: %+v", r)
			}
			if got := get(t, "?from=2025-08-25&to=2025-08-25"); len(got.ReasonsVsVerdicts) != 1 || got.ReasonsVsVerdicts[0].Total != 2 {
				t.Errorf("one day: %+v", got.ReasonsVsVerdicts)
			}
		})
		t.Run("ErrBadPeriod", func(t *testing.T) {
			for _, q := range []string{"?from=yesterday", "?to=2025-13-01", "?from=2025-09-02&to=2025-09-01",
				"?from=2020-01-01&to=2025-09-01", "?from=2025-09-01%27%20OR%201=1"} {
				res := ts.do(t, request{method: "GET", path: "/api/v1/dashboard" + q, token: lead})
				var body errorBody
				res.json(t, &body)
				if res.status != 400 || body.Error.Code != "invalid" {
					t.Errorf("%s: %d %s, want 400 invalid", q, res.status, res.body)
				}
			}
		})
		t.Run("ErrInspector403", func(t *testing.T) {
			if got := ts.do(t, request{method: "GET", path: "/api/v1/dashboard", token: insp}).status; got != 403 {
				t.Fatalf("got %d, want 403", got)
			}
		})
	})
}
