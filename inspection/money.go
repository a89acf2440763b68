package inspection

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Cents is an amount of money in the smallest unit of its currency. It is
// written and read in JSON as a decimal number (19.99) so that clients never
// deal in floats they could round wrongly.
type Cents int64

// ParseCents reads a decimal amount such as "19.99", "-5" or "1,234.50".
func ParseCents(s string) (Cents, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", ""))
	if s == "" {
		return 0, nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 || len(whole) > 15 {
		return 0, Errorf(EINVALID, "Amount %q has too many digits.", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseUint(whole, 10, 64)
	f, err2 := strconv.ParseUint(frac, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, Errorf(EINVALID, "Amount %q is not a number.", s)
	}
	c := Cents(w*100 + f)
	if neg {
		c = -c
	}
	return c, nil
}

func (c Cents) String() string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// MarshalJSON writes the amount as a JSON number with two decimals.
func (c Cents) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON accepts a JSON number or a string holding one.
func (c *Cents) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return Errorf(EINVALID, "Amount must be a number.")
		}
		n = json.Number(s)
	}
	v, err := ParseCents(string(n))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
