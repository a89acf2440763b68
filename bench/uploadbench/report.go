package main

import (
	"fmt"
	"io"
	"runtime"
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
		fmt.Fprintf(out, line, r.name, r.backend, human(r.bytes), fmt.Sprintf("%.2f", r.elapsed.Seconds()),
			fmt.Sprintf("%.1f", r.mibps()), ratio)
	}
	fmt.Fprintf(out, "(returnbench rows: tus POST to the last PATCH's 204 in %s chunks, one after another;\n"+
		" the media's meta then said verified with the right SHA-256)\n", human(o.Chunk))

	fmt.Fprintf(out, "\n%d x %s at once into returnbench -> S3 (%s chunks): %.2f s, %.1f MiB/s together; each took %.2f-%.2f s\n",
		c.n, human(c.size), human(o.Chunk), c.elapsed.Seconds(), c.mibps(), c.each[0].Seconds(), c.each[len(c.each)-1].Seconds())
	fmt.Fprintf(out, "server RSS: before %s, peak %s (highest of %d samples every %s: %s; VmHWM: %s)\n",
		mib(c.mem.before), mib(max(c.mem.peak, c.mem.hwm)), c.mem.samples, rssSampleTick, mib(c.mem.peak), mib(c.mem.hwm))

	const res = "%-34s  %6s  %6s  %6s  %6s  %6s  %10s  %10s  %15s  %10s\n"
	fmt.Fprintf(out, "\nwho worked (CPU seconds), and server memory\n")
	fmt.Fprintf(out, res, "step", "bench", "server", "MinIO", "kernel", "others", "cores busy", "RSS before", "RSS max", "VmHWM")
	resources := func(name string, elapsed float64, cpu cpuUse, mem *serverMemory) {
		server, before, peak, hwm := "-", "-", "-", "-"
		if cpu.hasServer {
			server = fmt.Sprintf("%.2f", cpu.server.Seconds())
		}
		if mem != nil {
			before, peak, hwm = mib(mem.before), fmt.Sprintf("%s (%d)", mib(mem.peak), mem.samples), mib(mem.hwm)
		}
		fmt.Fprintf(out, res, name, fmt.Sprintf("%.2f", cpu.client.Seconds()), server, fmt.Sprintf("%.2f", cpu.minio.Seconds()),
			fmt.Sprintf("%.2f", cpu.kernel.Seconds()), fmt.Sprintf("%.2f", cpu.others().Seconds()), fmt.Sprintf("%.2f", cpu.total().Seconds()/elapsed), before, peak, hwm)
	}
	for _, r := range rows {
		resources(r.name, r.elapsed.Seconds(), r.cpu, r.mem)
	}
	resources(fmt.Sprintf("returnbench %d x %s -> S3", c.n, human(c.size)), c.elapsed.Seconds(), c.cpu, c.mem)
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
				fmt.Sprintf("(goal >= %.1fx)", goalS3Ratio), verdict(ratio >= goalS3Ratio))
		}
	}
	peak := max(c.mem.peak, c.mem.hwm) // VmHWM also catches a spike between two samples
	fmt.Fprintf(out, "  %-50s %10s  %-16s %s\n", fmt.Sprintf("server peak RSS, %d x %s at once:", c.n, human(c.size)), mib(peak),
		"(goal < "+mib(goalPeakRSS)+")", verdict(peak < goalPeakRSS))
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
