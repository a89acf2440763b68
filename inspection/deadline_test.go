package inspection_test

import (
	"testing"
	"time"

	_ "time/tzdata"

	"github.com/returnbench/returnbench/inspection"
)

// Calendar used below (2026, America/Los_Angeles): Thu 1 Jan; Fri 2, Sat 3,
// Sun 4, Mon 5, Tue 6, Wed 7 Jan. DST starts Sun 8 Mar and ends Sun 1 Nov.
// Thanksgiving is Thu 26 Nov, Christmas Fri 25 Dec.

// MustLocation loads a time zone or fails the test.
func MustLocation(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// MustTime parses "2006-01-02 15:04:05" in loc.
func MustTime(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation(time.DateTime, s, loc)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func TestAddBusinessDays(t *testing.T) {
	la := MustLocation(t, "America/Los_Angeles")
	p := inspection.DefaultPolicy()
	p.Holidays = []string{"2026-11-26", "2026-12-25"}

	for _, tt := range []struct {
		name string
		from string
		n    int
		want string
	}{
		{"OK/FridayOverWeekend", "2026-01-02 15:00:00", 2, "2026-01-06 15:00:00"},
		{"OK/SaturdayCountsFromMonday", "2026-01-03 10:00:00", 2, "2026-01-07 00:00:00"},
		{"OK/SundayCountsFromMonday", "2026-01-04 23:59:00", 2, "2026-01-07 00:00:00"},
		{"OK/ThursdayOverWeekend", "2026-01-08 09:00:00", 2, "2026-01-12 09:00:00"},
		{"OK/MidWeek", "2026-01-06 08:30:00", 2, "2026-01-08 08:30:00"},
		{"OK/ZeroOnWeekdayIsUnchanged", "2026-01-06 08:30:00", 0, "2026-01-06 08:30:00"},
		{"OK/ZeroOnSaturdayIsMondayMorning", "2026-01-03 10:00:00", 0, "2026-01-05 00:00:00"},
		{"OK/NegativeCountsAsZero", "2026-01-06 08:30:00", -3, "2026-01-06 08:30:00"},
		{"OK/SkipsHoliday", "2026-11-25 12:00:00", 2, "2026-11-30 12:00:00"},                  // Wed + Fri + Mon (Thu is Thanksgiving)
		{"OK/ArrivalOnHoliday", "2026-11-26 12:00:00", 2, "2026-12-01 00:00:00"},              // counts from Fri 00:00
		{"OK/HolidayFridayThenWeekend", "2026-12-24 16:00:00", 1, "2026-12-28 16:00:00"},      // Thu + Mon
		{"OK/ArrivalOnHolidayBeforeWeekend", "2026-12-25 09:00:00", 1, "2026-12-29 00:00:00"}, // from Mon 28 00:00
		{"OK/DSTStartKeepsWallClock", "2026-03-06 15:00:00", 2, "2026-03-10 15:00:00"},        // PST -> PDT on Sun 8 Mar
		{"OK/DSTEndKeepsWallClock", "2026-10-30 15:00:00", 1, "2026-11-02 15:00:00"},          // PDT -> PST on Sun 1 Nov
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := p.AddBusinessDays(MustTime(t, la, tt.from), tt.n)
			if want := MustTime(t, la, tt.want); !got.Equal(want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}

	// Fri 23:30 in Los Angeles is already Saturday in UTC: the policy's zone decides.
	t.Run("OK/PolicyZoneDecidesTheDay", func(t *testing.T) {
		from := MustTime(t, la, "2026-01-02 23:30:00").UTC()
		got := p.AddBusinessDays(from, 1)
		if want := MustTime(t, la, "2026-01-05 23:30:00"); !got.Equal(want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if got.Location().String() != "America/Los_Angeles" {
			t.Errorf("got location %v, want the policy's", got.Location())
		}
	})

	t.Run("OK/OtherZone", func(t *testing.T) {
		london := MustLocation(t, "Europe/London")
		uk := inspection.DefaultPolicy()
		uk.Timezone = "Europe/London"
		// Sat 3 Jan 01:00 in London is still Friday 17:00 in Los Angeles.
		from := MustTime(t, london, "2026-01-03 01:00:00")
		if got, want := uk.AddBusinessDays(from, 1), MustTime(t, london, "2026-01-06 00:00:00"); !got.Equal(want) {
			t.Errorf("UK: got %v, want %v", got, want)
		}
		if got, want := p.AddBusinessDays(from, 1), MustTime(t, la, "2026-01-05 17:00:00"); !got.Equal(want) {
			t.Errorf("US: got %v, want %v", got, want)
		}
	})
}

func TestBusinessDaysBetween(t *testing.T) {
	la := MustLocation(t, "America/Los_Angeles")
	p := inspection.DefaultPolicy()
	p.Holidays = []string{"2026-11-26"}

	for _, tt := range []struct {
		name     string
		from, to string
		want     int
	}{
		{"OK/TwoLeft", "2026-01-02 15:00:00", "2026-01-06 15:00:00", 2},
		{"OK/OneSecondShortOfTwo", "2026-01-02 15:00:01", "2026-01-06 15:00:00", 1},
		{"OK/OneLeft", "2026-01-05 10:00:00", "2026-01-06 15:00:00", 1},
		{"OK/LessThanOneLeft", "2026-01-06 10:00:00", "2026-01-06 15:00:00", 0},
		{"OK/SameInstant", "2026-01-06 10:00:00", "2026-01-06 10:00:00", 0},
		{"OK/FromSaturday", "2026-01-03 10:00:00", "2026-01-07 00:00:00", 2},
		{"OK/OverHoliday", "2026-11-25 12:00:00", "2026-11-30 12:00:00", 2},
		{"OK/OverdueIsNegative", "2026-01-08 15:00:00", "2026-01-06 15:00:00", -2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.BusinessDaysBetween(MustTime(t, la, tt.from), MustTime(t, la, tt.to)); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestClaimWindow(t *testing.T) {
	la := MustLocation(t, "America/Los_Angeles")
	p := inspection.DefaultPolicy()

	// 1 May to 29 Aug 2026 is all PDT: days are exactly 24 h.
	refunded := MustTime(t, la, "2026-05-01 10:00:00")
	opens, closes := refunded.Add(60*24*time.Hour), refunded.Add(120*24*time.Hour)
	for _, tt := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"NotYet/AtRefund", refunded, inspection.ClaimWindowNotYet},
		{"NotYet/OneSecondBeforeDay60", opens.Add(-time.Second), inspection.ClaimWindowNotYet},
		{"Open/ExactlyDay60", opens, inspection.ClaimWindowOpen},
		{"Open/OneSecondAfterDay60", opens.Add(time.Second), inspection.ClaimWindowOpen},
		{"Open/OneSecondBeforeDay120", closes.Add(-time.Second), inspection.ClaimWindowOpen},
		{"Open/ExactlyDay120", closes, inspection.ClaimWindowOpen},
		{"Closed/OneSecondAfterDay120", closes.Add(time.Second), inspection.ClaimWindowClosed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gotOpens, gotCloses, got := p.ClaimWindow(refunded, tt.now)
			if got != tt.want {
				t.Errorf("state: got %q, want %q", got, tt.want)
			}
			if !gotOpens.Equal(opens) || !gotCloses.Equal(closes) {
				t.Errorf("window: got %v - %v, want %v - %v", gotOpens, gotCloses, opens, closes)
			}
		})
	}

	// A window across a clock change keeps the wall-clock time of the refund:
	// 10 Jan 10:00 PST + 60 days is 11 Mar 10:00 PDT, one hour less than 60*24 h.
	t.Run("Open/DSTStartInsideWindow", func(t *testing.T) {
		refunded := MustTime(t, la, "2026-01-10 10:00:00")
		wantOpens := MustTime(t, la, "2026-03-11 10:00:00")
		gotOpens, _, got := p.ClaimWindow(refunded, wantOpens)
		if !gotOpens.Equal(wantOpens) {
			t.Errorf("opens: got %v, want %v", gotOpens, wantOpens)
		}
		if got != inspection.ClaimWindowOpen {
			t.Errorf("state at 10:00 PDT on day 60: got %q, want %q", got, inspection.ClaimWindowOpen)
		}
		if d := wantOpens.Sub(refunded); d != 60*24*time.Hour-time.Hour {
			t.Errorf("opens is %v after the refund, want 60 days less the hour DST took", d)
		}
		if _, _, got := p.ClaimWindow(refunded, wantOpens.Add(-time.Second)); got != inspection.ClaimWindowNotYet {
			t.Errorf("state one second earlier: got %q, want %q", got, inspection.ClaimWindowNotYet)
		}
	})

	// 15 Sep 10:00 PDT + 120 days is 13 Jan 2027 10:00 PST, an hour more than 120*24 h.
	t.Run("Closed/DSTEndInsideWindow", func(t *testing.T) {
		refunded := MustTime(t, la, "2026-09-15 10:00:00")
		wantCloses := MustTime(t, la, "2027-01-13 10:00:00")
		_, gotCloses, got := p.ClaimWindow(refunded, wantCloses)
		if !gotCloses.Equal(wantCloses) {
			t.Errorf("closes: got %v, want %v", gotCloses, wantCloses)
		}
		if got != inspection.ClaimWindowOpen {
			t.Errorf("state at closes: got %q, want %q", got, inspection.ClaimWindowOpen)
		}
		if _, _, got := p.ClaimWindow(refunded, wantCloses.Add(time.Second)); got != inspection.ClaimWindowClosed {
			t.Errorf("state one second later: got %q, want %q", got, inspection.ClaimWindowClosed)
		}
	})
}

func TestDeadlines(t *testing.T) {
	la := MustLocation(t, "America/Los_Angeles")
	at := func(s string) time.Time { return MustTime(t, la, s) }
	p := inspection.DefaultPolicy()

	type want struct {
		name   string
		due    string
		status string
	}
	for _, tt := range []struct {
		name string
		ret  *inspection.Return
		now  string
		want []want
	}{
		{
			name: "None/NilReturn",
			now:  "2026-01-05 09:00:00",
		},
		{
			name: "None/NothingKnown",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN},
			now:  "2026-01-05 09:00:00",
		},
		{
			name: "Upcoming/MFNArrivedFriday",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: ptr(at("2026-01-02 15:00:00"))},
			now:  "2026-01-05 09:00:00", // Monday: 30 h left
			want: []want{
				{inspection.DeadlineRefundDue, "2026-01-06 15:00:00", inspection.DeadlineUpcoming},
				{inspection.DeadlineSafeTPhotosDue, "2026-01-09 15:00:00", inspection.DeadlineUpcoming},
			},
		},
		{
			name: "DueSoon/MFNRefundExactly24hLeft",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: ptr(at("2026-01-02 15:00:00"))},
			now:  "2026-01-05 15:00:00",
			want: []want{
				{inspection.DeadlineRefundDue, "2026-01-06 15:00:00", inspection.DeadlineDueSoon},
				{inspection.DeadlineSafeTPhotosDue, "2026-01-09 15:00:00", inspection.DeadlineUpcoming},
			},
		},
		{
			name: "DueSoon/MFNRefundAtDue",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: ptr(at("2026-01-03 10:00:00"))},
			now:  "2026-01-07 00:00:00",
			want: []want{
				{inspection.DeadlineRefundDue, "2026-01-07 00:00:00", inspection.DeadlineDueSoon},
				{inspection.DeadlineSafeTPhotosDue, "2026-01-10 10:00:00", inspection.DeadlineUpcoming},
			},
		},
		{
			name: "Overdue/MFNRefundOneSecondLate",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: ptr(at("2026-01-03 10:00:00"))},
			now:  "2026-01-07 00:00:01",
			want: []want{
				{inspection.DeadlineRefundDue, "2026-01-07 00:00:00", inspection.DeadlineOverdue},
				{inspection.DeadlineSafeTPhotosDue, "2026-01-10 10:00:00", inspection.DeadlineUpcoming},
			},
		},
		{
			name: "Overdue/MFNSafeTPhotos",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: ptr(at("2026-01-02 15:00:00")), RefundedAt: ptr(at("2026-01-05 09:00:00"))},
			now:  "2026-01-09 15:00:01",
			want: []want{
				{inspection.DeadlineSafeTPhotosDue, "2026-01-09 15:00:00", inspection.DeadlineOverdue},
				{inspection.DeadlineSafeTWindowCloses, "2026-03-06 09:00:00", inspection.DeadlineOpen},
			},
		},
		{
			name: "DueSoon/MFNSafeTWindowLastWeek",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, RefundedAt: ptr(at("2026-01-05 09:00:00"))},
			now:  "2026-02-27 09:00:00", // exactly 7 days before
			want: []want{{inspection.DeadlineSafeTWindowCloses, "2026-03-06 09:00:00", inspection.DeadlineDueSoon}},
		},
		{
			name: "Closed/MFNSafeTWindow",
			ret:  &inspection.Return{Channel: inspection.ChannelMFN, RefundedAt: ptr(at("2026-01-05 09:00:00"))},
			now:  "2026-03-06 09:00:01",
			want: []want{{inspection.DeadlineSafeTWindowCloses, "2026-03-06 09:00:00", inspection.DeadlineClosed}},
		},
		{
			name: "Upcoming/FBARefundedNotReturned",
			ret:  &inspection.Return{Channel: inspection.ChannelFBA, RefundedAt: ptr(at("2026-05-01 10:00:00"))},
			now:  "2026-05-02 10:00:00",
			want: []want{
				{inspection.DeadlineFBAUnitExpected, "2026-06-30 10:00:00", inspection.DeadlineUpcoming},
				{inspection.DeadlineClaimWindowOpens, "2026-06-30 10:00:00", inspection.DeadlineUpcoming},
				{inspection.DeadlineClaimWindowCloses, "2026-08-29 10:00:00", inspection.DeadlineUpcoming},
			},
		},
		{
			name: "DueSoon/FBAClaimWindowOpensWithin7Days",
			ret:  &inspection.Return{Channel: inspection.ChannelFBA, RefundedAt: ptr(at("2026-05-01 10:00:00"))},
			now:  "2026-06-23 10:00:00",
			want: []want{
				{inspection.DeadlineFBAUnitExpected, "2026-06-30 10:00:00", inspection.DeadlineUpcoming},
				{inspection.DeadlineClaimWindowOpens, "2026-06-30 10:00:00", inspection.DeadlineDueSoon},
				{inspection.DeadlineClaimWindowCloses, "2026-08-29 10:00:00", inspection.DeadlineUpcoming},
			},
		},
		{
			name: "Open/FBAClaimWindowExactlyDay60",
			ret:  &inspection.Return{Channel: inspection.ChannelFBA, RefundedAt: ptr(at("2026-05-01 10:00:00"))},
			now:  "2026-06-30 10:00:00",
			want: []want{
				{inspection.DeadlineFBAUnitExpected, "2026-06-30 10:00:00", inspection.DeadlineDueSoon},
				{inspection.DeadlineClaimWindowOpens, "2026-06-30 10:00:00", inspection.DeadlineOpen},
				{inspection.DeadlineClaimWindowCloses, "2026-08-29 10:00:00", inspection.DeadlineOpen},
			},
		},
		{
			name: "DueSoon/FBAClaimWindowClosesWithin7Days",
			ret:  &inspection.Return{Channel: inspection.ChannelFBA, RefundedAt: ptr(at("2026-05-01 10:00:00"))},
			now:  "2026-08-29 10:00:00",
			want: []want{
				{inspection.DeadlineFBAUnitExpected, "2026-06-30 10:00:00", inspection.DeadlineOverdue},
				{inspection.DeadlineClaimWindowOpens, "2026-06-30 10:00:00", inspection.DeadlineOpen},
				{inspection.DeadlineClaimWindowCloses, "2026-08-29 10:00:00", inspection.DeadlineDueSoon},
			},
		},
		{
			name: "Closed/FBAClaimWindowOneSecondAfterDay120",
			ret:  &inspection.Return{Channel: inspection.ChannelFBA, RefundedAt: ptr(at("2026-05-01 10:00:00"))},
			now:  "2026-08-29 10:00:01",
			want: []want{
				{inspection.DeadlineFBAUnitExpected, "2026-06-30 10:00:00", inspection.DeadlineOverdue},
				{inspection.DeadlineClaimWindowOpens, "2026-06-30 10:00:00", inspection.DeadlineClosed},
				{inspection.DeadlineClaimWindowCloses, "2026-08-29 10:00:00", inspection.DeadlineClosed},
			},
		},
		{
			name: "None/FBAUnitBack",
			ret:  &inspection.Return{Channel: inspection.ChannelFBA, RefundedAt: ptr(at("2026-05-01 10:00:00")), ArrivedAt: ptr(at("2026-05-20 10:00:00"))},
			now:  "2026-07-01 10:00:00",
		},
		{
			name: "Upcoming/AtoZFromRequest",
			ret: &inspection.Return{Channel: inspection.ChannelMFN, AtoZClaim: true,
				RequestedAt: ptr(at("2026-01-05 09:00:00")), RefundedAt: ptr(at("2026-01-02 09:00:00")), CreatedAt: at("2026-01-01 09:00:00")},
			now: "2026-01-06 08:59:59",
			want: []want{
				{inspection.DeadlineAtoZResponseDue, "2026-01-07 09:00:00", inspection.DeadlineUpcoming},
				{inspection.DeadlineAtoZAppealCloses, "2026-02-04 09:00:00", inspection.DeadlineOpen},
				// No SAFE-T window: a SAFE-T claim is not filed beside an A-to-z claim.
			},
		},
		{
			name: "Overdue/AtoZFromRefund",
			ret:  &inspection.Return{AtoZClaim: true, RefundedAt: ptr(at("2026-01-02 09:00:00")), CreatedAt: at("2026-01-01 09:00:00")},
			now:  "2026-01-04 09:00:01",
			want: []want{
				{inspection.DeadlineAtoZResponseDue, "2026-01-04 09:00:00", inspection.DeadlineOverdue},
				{inspection.DeadlineAtoZAppealCloses, "2026-02-01 09:00:00", inspection.DeadlineOpen},
			},
		},
		{
			name: "Closed/AtoZFromCreated",
			ret:  &inspection.Return{AtoZClaim: true, CreatedAt: at("2026-01-01 09:00:00")},
			now:  "2026-01-31 09:00:01",
			want: []want{
				{inspection.DeadlineAtoZResponseDue, "2026-01-03 09:00:00", inspection.DeadlineOverdue},
				{inspection.DeadlineAtoZAppealCloses, "2026-01-31 09:00:00", inspection.DeadlineClosed},
			},
		},
		{
			name: "None/AtoZWithoutAnyDate",
			ret:  &inspection.Return{AtoZClaim: true},
			now:  "2026-01-05 09:00:00",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Deadlines(tt.ret, at(tt.now))
			if got == nil {
				t.Fatalf("got nil, want an empty list at least")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d deadlines %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got[i].Name != w.name || !got[i].Due.Equal(at(w.due)) || got[i].Status != w.status {
					t.Errorf("deadline %d: got %s %v %s, want %s %v %s",
						i, got[i].Name, got[i].Due, got[i].Status, w.name, at(w.due), w.status)
				}
			}
		})
	}
}

func TestAtoZInfoResponse(t *testing.T) {
	la := MustLocation(t, "America/Los_Angeles")
	p := inspection.DefaultPolicy()
	asked := MustTime(t, la, "2026-01-05 09:00:00")
	due := asked.Add(72 * time.Hour)

	for _, tt := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"Upcoming/JustAsked", asked, inspection.DeadlineUpcoming},
		{"Upcoming/OneSecondBefore48h", asked.Add(48*time.Hour - time.Second), inspection.DeadlineUpcoming},
		{"DueSoon/At48h", asked.Add(48 * time.Hour), inspection.DeadlineDueSoon},
		{"DueSoon/At72h", due, inspection.DeadlineDueSoon},
		{"Overdue/OneSecondAfter72h", due.Add(time.Second), inspection.DeadlineOverdue},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := p.AtoZInfoResponse(asked, tt.now)
			if got.Name != inspection.DeadlineAtoZInfoResponseDue || !got.Due.Equal(due) || got.Status != tt.want {
				t.Errorf("got %+v, want %s %v %s", got, inspection.DeadlineAtoZInfoResponseDue, due, tt.want)
			}
		})
	}
}

// Overrides loaded from a file change the deadlines of one marketplace only.
func TestDeadlinesPerMarketplace(t *testing.T) {
	ps := MustLoadPolicies(t, `{
		"default": {"holidays": ["2026-12-25"]},
		"marketplaces": {
			"UK": {
				"timezone": "Europe/London",
				"holidays": ["2026-12-25", "2026-12-28"],
				"claim_window_opens_days": 45,
				"claim_window_closes_days": 90,
				"refund_due_business_days": 3
			}
		}
	}`)
	la, london := MustLocation(t, "America/Los_Angeles"), MustLocation(t, "Europe/London")

	t.Run("OK/RefundDue", func(t *testing.T) {
		// Thu 24 Dec 10:00 in each marketplace's own zone.
		us := ps.For("US")
		arrivedUS := MustTime(t, la, "2026-12-24 10:00:00")
		got := us.Deadlines(&inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: &arrivedUS}, arrivedUS)
		if want := MustTime(t, la, "2026-12-29 10:00:00"); got[0].Name != inspection.DeadlineRefundDue || !got[0].Due.Equal(want) {
			t.Errorf("US: got %+v, want refund_due %v (Mon 28, Tue 29)", got[0], want)
		}

		uk := ps.For("UK")
		arrivedUK := MustTime(t, london, "2026-12-24 10:00:00")
		got = uk.Deadlines(&inspection.Return{Channel: inspection.ChannelMFN, ArrivedAt: &arrivedUK}, arrivedUK)
		if want := MustTime(t, london, "2026-12-31 10:00:00"); got[0].Name != inspection.DeadlineRefundDue || !got[0].Due.Equal(want) {
			t.Errorf("UK: got %+v, want refund_due %v (Tue 29, Wed 30, Thu 31)", got[0], want)
		}
	})

	t.Run("OK/ClaimWindow", func(t *testing.T) {
		refunded := MustTime(t, london, "2026-05-01 10:00:00")
		opens, closes, state := ps.For("UK").ClaimWindow(refunded, MustTime(t, london, "2026-06-15 10:00:00"))
		if want := MustTime(t, london, "2026-06-15 10:00:00"); !opens.Equal(want) {
			t.Errorf("UK opens: got %v, want %v", opens, want)
		}
		if want := MustTime(t, london, "2026-07-30 10:00:00"); !closes.Equal(want) {
			t.Errorf("UK closes: got %v, want %v", closes, want)
		}
		if state != inspection.ClaimWindowOpen {
			t.Errorf("UK state on day 45: got %q, want %q", state, inspection.ClaimWindowOpen)
		}
		if _, _, state := ps.For("US").ClaimWindow(refunded, MustTime(t, london, "2026-06-15 10:00:00")); state != inspection.ClaimWindowNotYet {
			t.Errorf("US state on day 45: got %q, want %q", state, inspection.ClaimWindowNotYet)
		}
	})
}
