package reports

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/returnbench/returnbench/inspection"
)

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2025-07-10T14:22:03+00:00": "2025-07-10T14:22:03Z",
		"2025-07-10T14:22:03-07:00": "2025-07-10T21:22:03Z",
		"10-Jul-2025":               "2025-07-10T00:00:00Z",
		"2025-07-10":                "2025-07-10T00:00:00Z",
	} {
		got, err := parseDate(in)
		if err != nil || got.Format("2006-01-02T15:04:05Z07:00") != want {
			t.Errorf("parseDate(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := parseDate("yesterday"); err == nil {
		t.Error("parseDate(yesterday) gave no error")
	}
}

func TestReader(t *testing.T) {
	header := "return-date\tamazon-order-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n"
	t.Run("ShortRowIsRejectedNotFatal", func(t *testing.T) {
		rd, err := NewReader(strings.NewReader(header + "2025-07-10\t111-1111111-1111111\n"))
		if err != nil || rd.Format != FBACustomerReturns {
			t.Fatalf("NewReader: %v, %v", rd, err)
		}
		row, err := rd.Next()
		if err != nil {
			t.Fatal(err)
		}
		rr, err := rd.ReturnOf(row)
		if err != nil || rr.Return.OrderID != "111-1111111-1111111" || rr.Return.Quantity != 1 {
			t.Fatalf("short row: %+v, %v", rr.Return, err)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("end: %v, want EOF", err)
		}
	})
	t.Run("ErrLineWithoutEnd", func(t *testing.T) {
		rd, err := NewReader(strings.NewReader(header + strings.Repeat("x", MaxLineBytes+10)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rd.Next(); !errors.Is(err, errLineTooLong) {
			t.Fatalf("got %v, want the line-too-long error", err)
		}
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		if _, err := NewReader(strings.NewReader("")); inspection.ErrorCode(err) != inspection.EINVALID {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		_, err := NewReader(strings.NewReader("a,b,c\n1,2,3\n"))
		if inspection.ErrorCode(err) != inspection.EUNPROCESSABLE || !strings.Contains(inspection.ErrorMessage(err), "license-plate") &&
			!strings.Contains(inspection.ErrorMessage(err), "return-date") {
			t.Fatalf("got %v", err)
		}
	})
}

// FuzzReader feeds arbitrary bytes after each real header: no panic, and
// every row either converts or is rejected with its line.
func FuzzReader(f *testing.F) {
	f.Add("return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n2025-07-10\t1\t2\n\"unterminated")
	f.Add("Order ID,Order date\n\xef\xbb\xbf,,,\r\n")
	f.Fuzz(func(t *testing.T, data string) {
		rd, err := NewReader(strings.NewReader(data))
		if err != nil {
			return
		}
		for range 1000 {
			row, err := rd.Next()
			if err != nil {
				return
			}
			if rd.Format == FBAReimbursements {
				rd.ReimbursementOf(row)
			} else {
				rd.ReturnOf(row)
			}
		}
	})
}

// failingReader hands over a header and one row, then fails, as a cut
// upload does.
type failingReader struct{ data string }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, errors.New("connection reset by peer")
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestReaderStopsOnBrokenInput(t *testing.T) {
	header := "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\n"
	rd, err := NewReader(&failingReader{data: header + "2025-07-10\t111-1111111-1111111\tS\n2025-07-10\t111-"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		_, err := rd.Next()
		var rowErr *RowError
		switch {
		case err == nil:
		case errors.As(err, &rowErr):
			t.Fatalf("a broken input came back as a rejected row (%v): the import would never stop", err)
		default:
			return // the import ends with the error
		}
		if i > 10 {
			t.Fatal("the reader keeps going after its input broke")
		}
	}
}
