package main

import (
	"fmt"
	"runtime"
	"time"

	"github.com/returnbench/returnbench/bench/benchkit"
	"github.com/returnbench/returnbench/inspection"
)

// printReport writes the table, who worked, what was checked, and the
// figure the issue asks for. Nothing in it decides the exit status.
func (b *bench) printReport(rows []row) {
	out := b.out
	var base row
	for _, r := range rows {
		if r.baseline {
			base = r
		}
	}
	fmt.Fprintf(out, "\n")
	const line = "%-32s  %8s  %10s  %10s  %8s  %9s  %10s  %15s  %10s  %11s\n"
	fmt.Fprintf(out, line, "step (fresh server each)", "seconds", "first byte", "size", "MiB/s", "time vs", "RSS before", "RSS peak (n)", "VmHWM", "+ ffmpeg")
	fmt.Fprintf(out, line, "", "", "", "", "", "baseline", "", "", "", "")
	for _, r := range rows {
		ratio := "baseline"
		if !r.baseline {
			ratio = fmt.Sprintf("%.2fx", r.elapsed.Seconds()/base.elapsed.Seconds())
		}
		fmt.Fprintf(out, line, r.name, fmt.Sprintf("%.2f", r.elapsed.Seconds()), fmt.Sprintf("%.2f s", r.ttfb.Seconds()),
			benchkit.Human(r.bytes), fmt.Sprintf("%.1f", r.mibps()), ratio, benchkit.MiB(r.mem.before),
			fmt.Sprintf("%s (%d)", benchkit.MiB(r.mem.peak), r.mem.samples), benchkit.MiB(r.mem.hwm), benchkit.MiB(r.mem.treePeak))
	}
	fmt.Fprintf(out, "(seconds: the request to the last byte, saved to a file; for the baseline the sum of its GETs, one after\n"+
		" another, and its first byte the slowest of them; time vs baseline: this step's seconds / the baseline's;\n"+
		" RSS: the server's VmRSS before the request and the highest of (n) samples every %s; VmHWM: the kernel's\n"+
		" peak RSS of the server process, started for this step; + ffmpeg: the highest sample of the server and its\n"+
		" ffmpeg children together)\n", rssSampleTick)

	const res = "%-32s  %6s  %6s  %6s  %6s  %6s  %6s  %10s\n"
	fmt.Fprintf(out, "\nwho worked (CPU seconds)\n")
	fmt.Fprintf(out, res, "step", "bench", "server", "ffmpeg", "MinIO", "kernel", "others", "cores busy")
	for _, r := range rows {
		c := r.cpu
		fmt.Fprintf(out, res, r.name, secs(c.Bench), secs(c.Server), secs(c.ServerChildren), secs(c.MinIO), secs(c.Kernel),
			secs(c.Others()), fmt.Sprintf("%.2f", c.Total().Seconds()/r.elapsed.Seconds()))
	}
	fmt.Fprintf(out, "(user + system time over the step from /proc/PID/stat; ffmpeg: the server's children, counted when they\n"+
		" end; kernel: interrupts and kernel threads; others: the rest of the machine (/proc/stat), which competes for\n"+
		" the same %d cores; cores busy: bench + server + ffmpeg + MinIO / wall time)\n", runtime.NumCPU())

	fmt.Fprintf(out, "\nchecked\n")
	for _, r := range rows {
		fmt.Fprintf(out, "  %-16s %s\n", r.name+":", r.checked)
		for _, n := range r.notes {
			fmt.Fprintf(out, "  %-16s NOTE %s\n", "", n)
		}
	}

	var zipRow, pdfRow row
	for _, r := range rows {
		switch r.name {
		case "evidence.zip":
			zipRow = r
		case "evidence.pdf":
			pdfRow = r
		}
	}
	photos, _ := b.counts()
	what := fmt.Sprintf("%d photos", photos)
	for _, f := range b.files {
		if f.kind == inspection.MediaUnboxingVideo {
			what += " + " + benchkit.Human(f.size) + " video"
		}
	}
	fmt.Fprintf(out, "\npack for %s: %.1f s, peak RSS %s (the server; %s with its ffmpeg children)\n",
		what, zipRow.elapsed.Seconds(), benchkit.MiB(zipRow.mem.maxRSS()), benchkit.MiB(zipRow.mem.treePeak))
	var originals int64
	for _, f := range b.files {
		originals += f.size
	}
	fmt.Fprintf(out, "  the zip moved %s at %.1f MiB/s, %.2fx the baseline's %.1f MiB/s (its %d GETs one after another):\n",
		benchkit.Human(zipRow.bytes), zipRow.mibps(), zipRow.mibps()/base.mibps(), base.mibps(), len(b.files))
	if zipRow.mark > 0 {
		fmt.Fprintf(out, "  its originals (%s, first in the zip) took %.1f s (%.1f MiB/s, %.2fx the baseline's time), the rest\n"+
			"  (label card, evidence.pdf, audit events, texts) %.1f s more; evidence.pdf alone took %.1f s\n",
			benchkit.Human(originals), zipRow.mark.Seconds(), float64(originals)/(1<<20)/zipRow.mark.Seconds(),
			zipRow.mark.Seconds()/base.elapsed.Seconds(), (zipRow.elapsed - zipRow.mark).Seconds(), pdfRow.elapsed.Seconds())
	}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }
