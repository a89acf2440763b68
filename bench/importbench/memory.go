package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memory is what /proc says of a process's resident memory.
type memory struct {
	rss int64 // VmRSS: resident now
	hwm int64 // VmHWM: the most it was resident since start (or since resetPeak)
}

func procPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return fmt.Sprintf("/proc/%d/%s", pid, file)
}

// readMemory reads VmRSS and VmHWM from /proc/PID/status; pid 0 is the bench.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(procPath(pid, "status"))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("%s %s: %w", procPath(pid, "status"), name, err)
		}
		if name == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.hwm = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if m.rss == 0 {
		return memory{}, fmt.Errorf("%s has no VmRSS", procPath(pid, "status"))
	}
	return m, nil
}

// resetPeak sets the process's VmHWM back to its RSS now (Linux 4.0+:
// "5" to clear_refs), so the VmHWM read after a step is that step's peak
// and not the one of an earlier step in the same process. It reports
// whether that worked.
func resetPeak(pid int) bool {
	return os.WriteFile(procPath(pid, "clear_refs"), []byte("5"), 0) == nil
}

// rssSampler reads a process's RSS every tick until stopped and keeps the
// highest value seen.
type rssSampler struct {
	stopc   chan struct{}
	wg      sync.WaitGroup
	peak    int64
	samples int
	err     error
}

func sampleRSS(pid int, tick time.Duration) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			m, err := readMemory(pid)
			if err != nil {
				s.err = err
				return
			}
			s.peak = max(s.peak, m.rss)
			s.samples++
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// stop ends the sampling (after one last sample) and returns the peak.
func (s *rssSampler) stop() (peak int64, samples int, err error) {
	close(s.stopc)
	s.wg.Wait()
	return s.peak, s.samples, s.err
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on every Linux Go runs on).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time (user + system) a process has used so far; pid 0
// means the bench itself.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may hold spaces: count fields
	// after the last ')'. utime and stime are fields 14 and 15 of the line.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("%s: too few fields", procPath(pid, "stat"))
	}
	var total int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", procPath(pid, "stat"), err)
		}
		total += n
	}
	return time.Duration(total) * clockTick, nil
}

// machineBusy is the CPU time all processors have spent not idle since
// boot, from the first line of /proc/stat (user nice system idle iowait
// irq softirq steal ...): what a step's processes did not use of it, other
// programs (and the kernel) did.
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, f := range fields[1:9] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return time.Duration(busy) * clockTick, nil
}

// cpuMeter measures the CPU time of the bench, a server process (pid 0:
// none) and the whole machine over one step.
type cpuMeter struct {
	serverPid     int
	bench, server time.Duration
	machine       time.Duration
}

func startCPU(serverPid int) (*cpuMeter, error) {
	m := &cpuMeter{serverPid: serverPid}
	var err error
	m.bench, m.server, m.machine, err = m.read()
	return m, err
}

func (m *cpuMeter) read() (bench, server, machine time.Duration, err error) {
	var errs [3]error
	bench, errs[0] = cpuTime(0)
	if m.serverPid != 0 {
		server, errs[1] = cpuTime(m.serverPid)
	}
	machine, errs[2] = machineBusy()
	return bench, server, machine, errors.Join(errs[:]...)
}

// stop fills t's CPU times with what was used since startCPU.
func (m *cpuMeter) stop(t *timing) error {
	bench, server, machine, err := m.read()
	t.benchCPU, t.serverCPU = bench-m.bench, server-m.server
	t.othersCPU = max(0, machine-m.machine-t.benchCPU-t.serverCPU)
	return err
}
