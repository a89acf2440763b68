package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/returnbench/returnbench/bench/benchkit"
)

// printReport writes the throughput table, each row against the baseline of
// its backend, the memory step, and the goals beside the figures.
func printReport(out io.Writer, o options, rows []row, c concurrent) {
	const line = "%-34s  %-7s  %8s  %8s  %8s  %12s\n"
	fmt.Fprintf(out, line, "single upload", "backend", "size", "seconds", "MiB/s", "vs baseline")
	base := map[string]row{}
	for _, r := range rows {
		if r.baseline {
			base[r.backend] = r
		}
	}
	for _, r := range rows {
		ratio := "baseline"
		if !r.baseline {
			ratio = fmt.Sprintf("%.2fx", r.mibps()/base[r.backend].mibps())
		}
		fmt.Fprintf(out, line, r.name, r.backend, benchkit.Human(r.bytes), fmt.Sprintf("%.2f", r.elapsed.Seconds()),
			fmt.Sprintf("%.1f", r.mibps()), ratio)
	}
	fmt.Fprintf(out, "(returnbench rows: tus POST to the last PATCH's 204 in %s chunks, one after another;\n"+
		" the media's meta then said verified with the right SHA-256)\n", benchkit.Human(o.Chunk))

	fmt.Fprintf(out, "\n%d x %s at once into returnbench -> S3 (%s chunks): %.2f s, %.1f MiB/s together; each took %.2f-%.2f s\n",
		c.n, benchkit.Human(c.size), benchkit.Human(o.Chunk), c.elapsed.Seconds(), c.mibps(), c.each[0].Seconds(), c.each[len(c.each)-1].Seconds())
	fmt.Fprintf(out, "server RSS: before %s, peak %s (highest of %d samples every %s: %s; VmHWM: %s)\n",
		benchkit.MiB(c.mem.before), benchkit.MiB(max(c.mem.peak, c.mem.hwm)), c.mem.samples, rssSampleTick, benchkit.MiB(c.mem.peak), benchkit.MiB(c.mem.hwm))

	const res = "%-34s  %6s  %6s  %6s  %6s  %6s  %10s  %10s  %15s  %10s\n"
	fmt.Fprintf(out, "\nwho worked (CPU seconds), and server memory\n")
	fmt.Fprintf(out, res, "step", "bench", "server", "MinIO", "kernel", "others", "cores busy", "RSS before", "RSS max", "VmHWM")
	resources := func(name string, elapsed float64, cpu benchkit.CPUUse, mem *serverMemory) {
		server, before, peak, hwm := "-", "-", "-", "-"
		if mem != nil {
			server = fmt.Sprintf("%.2f", cpu.Server.Seconds())
		}
		if mem != nil {
			before, peak, hwm = benchkit.MiB(mem.before), fmt.Sprintf("%s (%d)", benchkit.MiB(mem.peak), mem.samples), benchkit.MiB(mem.hwm)
		}
		fmt.Fprintf(out, res, name, fmt.Sprintf("%.2f", cpu.Bench.Seconds()), server, fmt.Sprintf("%.2f", cpu.MinIO.Seconds()),
			fmt.Sprintf("%.2f", cpu.Kernel.Seconds()), fmt.Sprintf("%.2f", cpu.Others().Seconds()), fmt.Sprintf("%.2f", cpu.Total().Seconds()/elapsed), before, peak, hwm)
	}
	for _, r := range rows {
		resources(r.name, r.elapsed.Seconds(), r.cpu, r.mem)
	}
	resources(fmt.Sprintf("returnbench %d x %s -> S3", c.n, benchkit.Human(c.size)), c.elapsed.Seconds(), c.cpu, c.mem)
	fmt.Fprintf(out, "(CPU: user + system time from /proc/PID/stat over the step; bench = this process, the tus or S3 client;\n"+
		" kernel = interrupts and kernel threads (writeback, journal: mostly work for the three processes);\n"+
		" others = other programs on the machine (/proc/stat), which compete for the same cores and make figures vary;\n"+
		" cores busy = bench + server + MinIO / wall time, of %d; RSS max: the highest of (n) samples every %s;\n"+
		" VmHWM: the kernel's peak RSS of the server process, which was started for that step)\n", runtime.NumCPU(), rssSampleTick)
	fmt.Fprintf(out, "\ngoals (printed, never enforced):\n")
	for _, r := range rows {
		if r.backend == "S3" && !r.baseline {
			ratio := r.mibps() / base["S3"].mibps()
			fmt.Fprintf(out, "  %-50s %10s  %-16s %s\n", r.name+" vs PutObject, same MinIO:", fmt.Sprintf("%.2fx", ratio),
				fmt.Sprintf("(goal >= %.1fx)", goalS3Ratio), benchkit.PassOrMiss(ratio >= goalS3Ratio))
		}
	}
	peak := max(c.mem.peak, c.mem.hwm) // VmHWM also catches a spike between two samples
	fmt.Fprintf(out, "  %-50s %10s  %-16s %s\n", fmt.Sprintf("server peak RSS, %d x %s at once:", c.n, benchkit.Human(c.size)), benchkit.MiB(peak),
		"(goal < "+benchkit.MiB(goalPeakRSS)+")", benchkit.PassOrMiss(peak < goalPeakRSS))
}
