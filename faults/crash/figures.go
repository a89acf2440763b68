package crash

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// counters are what the devices and the killer count while a run goes on.
type counters struct {
	kills, restarts, startupKills       atomic.Int64
	killsMidPatch, killsMidPush         atomic.Int64
	patchInFlight, pushInFlight         atomic.Int64
	uploadResumes, pushResends          atomic.Int64
	uploadRestarts                      atomic.Int64
	bytesSent, bytesUploaded            atomic.Int64
	uploadsCompleted, mutationsAcked    atomic.Int64
	lateAcks, repushesChecked, relogins atomic.Int64
	netErrors, status500, status503     atomic.Int64
	otherServerErrors                   atomic.Int64

	mu       sync.Mutex
	failures map[string]int64 // "<call> <status or 'conn'>"
}

// countFailure sorts a failed request's cause for the figures.
func (c *counters) countFailure(call string, err error) {
	what := "conn"
	switch s := statusOf(err); {
	case s == 0:
		c.netErrors.Add(1)
	case s == 500:
		c.status500.Add(1)
	case s == 503:
		c.status503.Add(1)
	default:
		c.otherServerErrors.Add(1)
	}
	if s := statusOf(err); s != 0 {
		what = strconv.Itoa(s)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failures == nil {
		c.failures = map[string]int64{}
	}
	c.failures[call+" "+what]++
}

// Figures sum up one run. Losses and Duplicates must be 0.
type Figures struct {
	Mode             string  `json:"mode"`
	Seed             uint64  `json:"seed"`
	Seconds          float64 `json:"seconds"`
	Devices          int     `json:"devices"`
	Kills            int64   `json:"kills"`
	KillsMidPatch    int64   `json:"kills_mid_patch"`
	KillsMidPush     int64   `json:"kills_mid_push"`
	StartupKills     int64   `json:"startup_kills"`
	Restarts         int64   `json:"restarts"`
	UploadResumes    int64   `json:"upload_resumes"`
	UploadRestarts   int64   `json:"upload_restarts"`
	PushResends      int64   `json:"push_resends"`
	BytesSent        int64   `json:"bytes_sent"`
	BytesUploaded    int64   `json:"bytes_uploaded"`
	UploadsCompleted int64   `json:"uploads_completed"`
	MutationsAcked   int64   `json:"mutations_acked"`
	LateAcks         int64   `json:"late_acks"`
	RepushesChecked  int64   `json:"repushes_checked"`
	NetErrors        int64   `json:"net_errors"`
	Status500        int64   `json:"status_500"`
	Status503        int64   `json:"status_503"`
	// Failures counts failed requests by call and status ("PATCH 503",
	// "push conn" for a broken connection).
	Failures      map[string]int64 `json:"failures"`
	VerifiedFiles int64            `json:"verified_files"`
	AuditEvents   int64            `json:"audit_events"`
	Losses        int              `json:"losses"`
	Duplicates    int              `json:"duplicates"`
	Violations    int              `json:"violations"`
}

func (c *counters) figures(mode string, seed uint64, devices int, took time.Duration) Figures {
	return Figures{
		Mode: mode, Seed: seed, Seconds: took.Round(100 * time.Millisecond).Seconds(), Devices: devices,
		Kills: c.kills.Load(), KillsMidPatch: c.killsMidPatch.Load(), KillsMidPush: c.killsMidPush.Load(),
		StartupKills: c.startupKills.Load(), Restarts: c.restarts.Load(),
		UploadResumes: c.uploadResumes.Load(), UploadRestarts: c.uploadRestarts.Load(), PushResends: c.pushResends.Load(),
		BytesSent: c.bytesSent.Load(), BytesUploaded: c.bytesUploaded.Load(),
		UploadsCompleted: c.uploadsCompleted.Load(), MutationsAcked: c.mutationsAcked.Load(),
		LateAcks: c.lateAcks.Load(), RepushesChecked: c.repushesChecked.Load(),
		NetErrors: c.netErrors.Load(), Status500: c.status500.Load() + c.otherServerErrors.Load(), Status503: c.status503.Load(),
		Failures: c.failureCounts(),
	}
}

func (c *counters) failureCounts() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int64{}
	for k, v := range c.failures {
		out[k] = v
	}
	return out
}

// Print writes the figures for people, then one CRASH-FIGURES line for a
// program that aggregates runs.
func (f Figures) Print(w io.Writer) {
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	fmt.Fprintf(w, "crash %s (seed %d, %d devices, %.1fs)\n", f.Mode, f.Seed, f.Devices, f.Seconds)
	fmt.Fprintf(w, "  kills          %d (%d mid-PATCH, %d mid-push, %d during start-up), restarts %d\n",
		f.Kills, f.KillsMidPatch, f.KillsMidPush, f.StartupKills, f.Restarts)
	fmt.Fprintf(w, "  uploads        %d files, %s acknowledged, %s sent; %d resumed from the server's offset, %d started again\n",
		f.UploadsCompleted, mib(f.BytesUploaded), mib(f.BytesSent), f.UploadResumes, f.UploadRestarts)
	fmt.Fprintf(w, "  mutations      %d acknowledged (%d learnt late as duplicates), %d batches re-sent, %d acknowledged ones re-pushed\n",
		f.MutationsAcked, f.LateAcks, f.PushResends, f.RepushesChecked)
	var seen []string
	for k, v := range f.Failures {
		seen = append(seen, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(seen)
	fmt.Fprintf(w, "  failures seen  %d connection errors, %d HTTP 503, %d other 5xx (%s)\n",
		f.NetErrors, f.Status503, f.Status500, strings.Join(seen, ", "))
	fmt.Fprintf(w, "  checked        %d verified files re-hashed, %d audit events chained\n", f.VerifiedFiles, f.AuditEvents)
	fmt.Fprintf(w, "  losses         %d\n  duplicates     %d\n  violations     %d\n", f.Losses, f.Duplicates, f.Violations)
	b, _ := json.Marshal(f)
	fmt.Fprintf(w, "CRASH-FIGURES %s\n", b)
}
