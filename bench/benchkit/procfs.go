package benchkit

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc (USER_HZ, 100 on every
// Linux Go runs on).
const clockTick = 10 * time.Millisecond

// procPath is a file of /proc/PID; pid 0 is the bench itself.
func procPath(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + file
}

// ProcStat is what /proc/PID/stat says of a process at one moment.
type ProcStat struct {
	At          time.Time
	PPID        int
	CPU         time.Duration // user + system time so far
	ChildrenCPU time.Duration // that of its children that have ended and been waited for (a server's ffmpeg runs)
	Threads     int
	RSS         int64 // resident bytes
}

// ReadStat reads /proc/PID/stat; pid 0 is the bench itself.
func ReadStat(pid int) (ProcStat, error) {
	path := procPath(pid, "stat")
	b, err := os.ReadFile(path)
	if err != nil {
		return ProcStat{}, err
	}
	// The command name is in parentheses and may hold spaces: the fields
	// after the last ')' are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return ProcStat{}, fmt.Errorf("%s: unexpected %q", path, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 22 {
		return ProcStat{}, fmt.Errorf("%s: %d fields", path, len(f))
	}
	// f[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime
	// 16, cstime 17, threads 20 and rss 24.
	var n [6]int64
	for k, j := range []int{1, 11, 12, 13, 14, 17} {
		if n[k], err = strconv.ParseInt(f[j], 10, 64); err != nil {
			return ProcStat{}, fmt.Errorf("%s: %w", path, err)
		}
	}
	rss, err := strconv.ParseInt(f[21], 10, 64)
	if err != nil {
		return ProcStat{}, fmt.Errorf("%s: %w", path, err)
	}
	return ProcStat{At: time.Now(), PPID: int(n[0]), CPU: time.Duration(n[1]+n[2]) * clockTick,
		ChildrenCPU: time.Duration(n[3]+n[4]) * clockTick, Threads: int(n[5]), RSS: rss * int64(os.Getpagesize())}, nil
}

// Memory is what /proc says of a process's resident memory.
type Memory struct {
	RSS int64 // VmRSS: resident now
	HWM int64 // VmHWM: the most it was resident since it started (or since ResetPeak)
}

// ReadMemory reads VmRSS and VmHWM from /proc/PID/status; pid 0 is the
// bench itself.
func ReadMemory(pid int) (Memory, error) {
	path := procPath(pid, "status")
	f, err := os.Open(path)
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("%s %s: %w", path, name, err)
		}
		if name == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.HWM = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return Memory{}, err
	}
	if m.RSS == 0 {
		return Memory{}, fmt.Errorf("%s has no VmRSS", path)
	}
	return m, nil
}

// ResetPeak sets the process's VmHWM back to its RSS now (Linux 4.0+: "5"
// to clear_refs), so the VmHWM read after a step is that step's peak and
// not the one of an earlier step in the same process. It reports whether
// that worked.
func ResetPeak(pid int) bool {
	return os.WriteFile(procPath(pid, "clear_refs"), []byte("5"), 0) == nil
}

// childrenRSS is the resident memory of the children of pid (a server's
// ffmpeg runs), from /proc/PID/task/*/children: a child belongs to the
// thread that started it. A child that has not exec'd yet still shares
// the parent's memory (Go starts children with vfork) and is left out, or
// the parent would be counted twice.
func childrenRSS(pid int) int64 {
	tasks, err := os.ReadDir(procPath(pid, "task"))
	if err != nil {
		return 0
	}
	self, _ := os.Readlink(procPath(pid, "exe"))
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(procPath(pid, "task/"+t.Name()+"/children"))
		if err != nil {
			continue // the thread ended meanwhile, or the kernel lacks CONFIG_PROC_CHILDREN
		}
		for _, c := range strings.Fields(string(b)) {
			p, err := strconv.Atoi(c)
			if err != nil || p == 0 {
				continue
			}
			if exe, _ := os.Readlink(procPath(p, "exe")); exe == self {
				continue
			}
			if m, err := ReadMemory(p); err == nil {
				total += m.RSS
			}
		}
	}
	return total
}

// MachineCPU is the first line of /proc/stat (user nice system idle iowait
// irq softirq steal ...): the time all processors have spent since boot,
// so a step can say how busy the whole machine was, other programs
// included.
type MachineCPU struct {
	Busy       time.Duration // neither idle nor waiting for I/O
	Interrupts time.Duration // irq and softirq, part of Busy
	Total      time.Duration // busy or not
}

// ReadMachineCPU reads the first line of /proc/stat.
func ReadMachineCPU() (MachineCPU, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return MachineCPU{}, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy, irq, total int64
	for i, f := range fields[1:9] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return MachineCPU{}, fmt.Errorf("/proc/stat: %w", err)
		}
		total += n
		switch i {
		case 3, 4: // idle, iowait
		case 5, 6: // irq, softirq
			irq += n
			busy += n
		default:
			busy += n
		}
	}
	return MachineCPU{Busy: time.Duration(busy) * clockTick, Interrupts: time.Duration(irq) * clockTick,
		Total: time.Duration(total) * clockTick}, nil
}

// kernelThreadsCPU is the CPU time of the kernel's threads (kthreadd, pid
// 2, and its children) so far: writeback and the file system's journal,
// largely work done for the processes a step measures.
func kernelThreadsCPU() (time.Duration, error) {
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
		st, err := ReadStat(pid)
		if err != nil || (pid != 2 && st.PPID != 2) {
			continue // it ended meanwhile, or it is not a kernel thread
		}
		total += st.CPU
	}
	return total, nil
}

// LoadAverage is /proc/loadavg's first three fields, printed beside the
// figures: other work on the same cores moves every one of them.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
