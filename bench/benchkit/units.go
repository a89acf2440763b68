package benchkit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// ByteSize is a flag value in bytes that also reads KiB, MiB and GiB (or
// K, M, G), the way people write file sizes.
type ByteSize int64

func (s *ByteSize) String() string { return Human(int64(*s)) }

// Set reads "1GiB", "256 MiB", "8M" or "1048576".
func (s *ByteSize) Set(v string) error {
	v = strings.TrimSpace(v)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size: use bytes or a number with KiB, MiB or GiB", v)
	}
	*s = ByteSize(n * mult)
	return nil
}

// Human prints a byte count the way the flags take it.
func Human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// MiB prints a memory figure in one unit, so the figures of a table line
// up and compare at a glance.
func MiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Percentile is the nearest-rank percentile p (0-100] of sorted latencies:
// a latency some request really had, never an interpolated one.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// PassOrMiss says how a figure compares with the goal. Goals are
// printed beside the figures and never decide the exit status: timing
// depends on the machine and on what else runs on it.
func PassOrMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// RandomString is n characters of alphabet drawn from r: a seeded r makes
// the same codes, and so the same files, on every run.
func RandomString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// LicencePlates is how many FBA licence plates there are: LPN and ten
// characters of A-Z and 0-9.
const LicencePlates = 3_656_158_440_062_976 // 36^10

// LicencePlate is licence plate number v (taken modulo LicencePlates).
// Generators walk v with a stride coprime to LicencePlates, so the plates
// of one file look random but never repeat.
func LicencePlate(v uint64) string {
	const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	v %= LicencePlates
	var b [13]byte
	copy(b[:], "LPN")
	for k := 12; k >= 3; k-- {
		b[k] = upperAlnum[v%36]
		v /= 36
	}
	return string(b[:])
}
