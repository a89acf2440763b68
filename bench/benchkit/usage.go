package benchkit

import (
	"errors"
	"sync"
	"time"
)

// RSSSampler reads a process's resident memory every tick until stopped
// and keeps the highest value seen: the kernel's VmHWM is a peak for the
// process's life, a step needs its own.
type RSSSampler struct {
	pid      int
	children bool
	stopc    chan struct{}
	wg       sync.WaitGroup

	// Read after Stop.
	Peak     int64 // the process alone
	TreePeak int64 // the process and its children, sampled together (SampleRSSWithChildren only)
	Samples  int
	err      error
}

// SampleRSS samples the resident memory of pid every tick.
func SampleRSS(pid int, tick time.Duration) *RSSSampler {
	return startSampler(pid, tick, false)
}

// SampleRSSWithChildren samples pid and, at the same moments, pid with its
// children (a server's ffmpeg runs), whose memory the machine must hold too.
func SampleRSSWithChildren(pid int, tick time.Duration) *RSSSampler {
	return startSampler(pid, tick, true)
}

func startSampler(pid int, tick time.Duration, children bool) *RSSSampler {
	s := &RSSSampler{pid: pid, children: children, stopc: make(chan struct{})}
	s.wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			m, err := ReadMemory(pid)
			if err != nil {
				s.err = err
				return
			}
			s.Peak = max(s.Peak, m.RSS)
			if s.children {
				s.TreePeak = max(s.TreePeak, m.RSS+childrenRSS(pid))
			}
			s.Samples++
			select {
			case <-s.stopc:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// Stop ends the sampling (after one last sample); the error is why it
// stopped early, if it did.
func (s *RSSSampler) Stop() error {
	close(s.stopc)
	s.wg.Wait()
	return s.err
}

// CPUUse is the CPU time each party spent during one step, the kernel's
// own work, and what the whole machine spent: the rest is other programs,
// which slow a step down without being part of it.
type CPUUse struct {
	Bench          time.Duration // this process
	Server         time.Duration
	ServerChildren time.Duration // counted when they end and are waited for
	MinIO          time.Duration
	Kernel         time.Duration // interrupts and kernel threads (writeback, the journal)
	Machine        time.Duration // every processor's busy time
}

// Total is the bench, the server, its children and MinIO together.
func (c CPUUse) Total() time.Duration { return c.Bench + c.Server + c.ServerChildren + c.MinIO }

// Others is the CPU time of other programs on the machine.
func (c CPUUse) Others() time.Duration { return max(0, c.Machine-c.Total()-c.Kernel) }

// CPUMeter reads the CPU times of the bench, a server process and MinIO
// at the start and the end of a step, so the step's figure can say who
// was busy.
type CPUMeter struct {
	serverPid, minioPid int // 0: none
	start               CPUUse
}

// StartCPU starts measuring; a pid of 0 means that party is not there.
func StartCPU(serverPid, minioPid int) (*CPUMeter, error) {
	m := &CPUMeter{serverPid: serverPid, minioPid: minioPid}
	var err error
	m.start, err = m.read()
	return m, err
}

func (m *CPUMeter) read() (CPUUse, error) {
	var u CPUUse
	mc, err := ReadMachineCPU()
	if err != nil {
		return u, err
	}
	threads, err := kernelThreadsCPU()
	if err != nil {
		return u, err
	}
	u.Machine, u.Kernel = mc.Busy, mc.Interrupts+threads
	var errs [3]error
	var st ProcStat
	st, errs[0] = ReadStat(0)
	u.Bench = st.CPU
	if m.minioPid != 0 {
		st, errs[1] = ReadStat(m.minioPid)
		u.MinIO = st.CPU
	}
	if m.serverPid != 0 {
		st, errs[2] = ReadStat(m.serverPid)
		u.Server, u.ServerChildren = st.CPU, st.ChildrenCPU
	}
	return u, errors.Join(errs[:]...)
}

// Stop returns the CPU time used since StartCPU.
func (m *CPUMeter) Stop() (CPUUse, error) {
	end, err := m.read()
	s := m.start
	return CPUUse{Bench: end.Bench - s.Bench, Server: end.Server - s.Server, ServerChildren: end.ServerChildren - s.ServerChildren,
		MinIO: end.MinIO - s.MinIO, Kernel: end.Kernel - s.Kernel, Machine: end.Machine - s.Machine}, err
}
