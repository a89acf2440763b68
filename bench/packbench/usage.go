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
	hwm int64 // VmHWM: the most it was ever resident (the kernel's own peak)
}

// readMemory reads VmRSS and VmHWM from /proc/PID/status.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
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
			return memory{}, fmt.Errorf("/proc/%d/status %s: %w", pid, name, err)
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
		return memory{}, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, nil
}

// childrenRSS is the resident memory of the children of pid (the server's
// ffmpeg runs), from /proc/PID/task/*/children: a child belongs to the
// thread that started it. A child that has not exec'd yet still shares
// the server's memory (Go starts children with vfork) and is left out, or
// the server would be counted twice.
func childrenRSS(pid int) int64 {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	self, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		if err != nil {
			continue // the thread ended meanwhile, or the kernel lacks CONFIG_PROC_CHILDREN
		}
		for _, c := range strings.Fields(string(b)) {
			p, err := strconv.Atoi(c)
			if err != nil {
				continue
			}
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", p)); exe == self {
				continue
			}
			if m, err := readMemory(p); err == nil {
				total += m.rss
			}
		}
	}
	return total
}

// rssSampler reads a process's RSS, and that of its children, every tick
// until stopped and keeps the highest values seen.
type rssSampler struct {
	pid      int
	stopc    chan struct{}
	wg       sync.WaitGroup
	peak     int64 // the process alone
	treePeak int64 // the process and its children, sampled together
	samples  int
	err      error
}

func sampleRSS(pid int, tick time.Duration) *rssSampler {
	s := &rssSampler{pid: pid, stopc: make(chan struct{})}
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
			s.treePeak = max(s.treePeak, m.rss+childrenRSS(pid))
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

// stop ends the sampling (after one last sample).
func (s *rssSampler) stop() error {
	close(s.stopc)
	s.wg.Wait()
	return s.err
}

// clockTick is the unit of utime and stime in /proc/PID/stat (USER_HZ,
// 100 on every Linux Go runs on).
const clockTick = 10 * time.Millisecond

// cpuTime is the CPU time (user + system) a process has used so far, and
// that of its children that have ended and been waited for (the server's
// ffmpeg runs); pid 0 means the bench itself.
func cpuTime(pid int) (self, children time.Duration, err error) {
	path := "/proc/self/stat"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	// The command name is in parentheses and may hold spaces: count fields
	// after the last ')'. utime, stime, cutime and cstime are fields 14 to
	// 17 of the line.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 15 {
		return 0, 0, fmt.Errorf("%s: too few fields", path)
	}
	var ticks [4]int64
	for i, f := range fields[11:15] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", path, err)
		}
		ticks[i] = n
	}
	return time.Duration(ticks[0]+ticks[1]) * clockTick, time.Duration(ticks[2]+ticks[3]) * clockTick, nil
}

// cpuUse is the CPU time each process spent during one step, the kernel's
// own work (interrupts, and kernel threads such as writeback), and what the
// whole machine spent: the rest is other programs, which slow a step down
// without being part of it.
type cpuUse struct {
	client, server, minio time.Duration
	ffmpeg                time.Duration // the server's children
	kernel                time.Duration
	machine               time.Duration
}

// others is the CPU time of other programs on the machine.
func (c cpuUse) others() time.Duration { return max(0, c.machine-c.total()-c.kernel) }

// total is the bench, the server, its children and MinIO together.
func (c cpuUse) total() time.Duration { return c.client + c.server + c.ffmpeg + c.minio }

// cpuMeter reads the CPU times of the bench, a returnbench process and
// MinIO, so a step's figure can say who was busy.
type cpuMeter struct {
	serverPid, minioPid int
	start               cpuUse
}

func startCPU(serverPid, minioPid int) (*cpuMeter, error) {
	m := &cpuMeter{serverPid: serverPid, minioPid: minioPid}
	var err error
	m.start, err = m.read()
	return m, err
}

func (m *cpuMeter) read() (cpuUse, error) {
	var u cpuUse
	var err1, err2, err3 error
	u.machine, u.kernel, err1 = machineBusy()
	if err1 != nil {
		return u, err1
	}
	threads, err1 := kernelThreads()
	if err1 != nil {
		return u, err1
	}
	u.kernel += threads
	u.client, _, err1 = cpuTime(0)
	u.minio, _, err2 = cpuTime(m.minioPid)
	u.server, u.ffmpeg, err3 = cpuTime(m.serverPid)
	return u, errors.Join(err1, err2, err3)
}

// stop returns the CPU time used since startCPU.
func (m *cpuMeter) stop() (cpuUse, error) {
	end, err := m.read()
	return cpuUse{client: end.client - m.start.client, server: end.server - m.start.server,
		ffmpeg: end.ffmpeg - m.start.ffmpeg, minio: end.minio - m.start.minio,
		machine: end.machine - m.start.machine, kernel: end.kernel - m.start.kernel}, err
}

// machineBusy is the CPU time all processors have spent not idle since
// boot, and the part of it spent on interrupts, from the first line of
// /proc/stat (user nice system idle iowait irq softirq steal ...).
func machineBusy() (busy, interrupts time.Duration, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var all, irq int64
	for i, f := range fields[1:9] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		switch i {
		case 3, 4: // idle, iowait
		case 5, 6: // irq, softirq
			irq += n
			all += n
		default:
			all += n
		}
	}
	return time.Duration(all) * clockTick, time.Duration(irq) * clockTick, nil
}

// kernelThreads is the CPU time of the kernel's threads (kthreadd, pid 2,
// and its children) so far.
func kernelThreads() (time.Duration, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var total time.Duration
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue // it ended meanwhile
		}
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) < 13 || (pid != 2 && fields[1] != "2") { // fields[1] is the parent's pid
			continue
		}
		for _, f := range fields[11:13] {
			n, _ := strconv.ParseInt(f, 10, 64)
			total += time.Duration(n) * clockTick
		}
	}
	return total, nil
}
