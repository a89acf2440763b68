package reports

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/returnbench/returnbench/inspection"
)

// ErrMessageTooLarge skips one message of a mailbox that is longer than
// MaxMessageBytes; the messages after it are still read.
var ErrMessageTooLarge = inspection.Errorf(inspection.ETOOLARGE, "The message is larger than 10 MiB, so it is not a refund notice.")

// MboxReader reads a mailbox export (mbox: messages separated by lines
// that start with "From ") one message at a time, so a mailbox of any
// size costs one message of memory.
type MboxReader struct {
	br *bufio.Reader
	// sep: the separator of the next message has been read already.
	sep  bool
	done bool
}

// NewMboxReader reads messages from r.
func NewMboxReader(r io.Reader) *MboxReader {
	return &MboxReader{br: bufio.NewReaderSize(r, 64<<10)}
}

var fromLine = []byte("From ")

// quotedFrom recognises the mboxrd escape of a body line: ">From ",
// ">>From " ...
func quotedFrom(line []byte) bool {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	return i > 0 && bytes.HasPrefix(line[i:], fromLine)
}

// Next returns the next message without its "From " line and with one ">"
// taken off every ">From " line (mboxrd), or io.EOF after the last. A
// message over MaxMessageBytes is read past and reported as
// ErrMessageTooLarge; the next call returns the message after it.
func (m *MboxReader) Next() ([]byte, error) {
	if m.done {
		return nil, io.EOF
	}
	var buf bytes.Buffer
	tooLarge, lineStart, sep := false, true, m.sep
	m.sep = false
	for {
		chunk, err := m.br.ReadSlice('\n')
		if len(chunk) > 0 {
			if lineStart && bytes.HasPrefix(chunk, fromLine) {
				for errors.Is(err, bufio.ErrBufferFull) { // a separator longer than the buffer
					chunk, err = m.br.ReadSlice('\n')
				}
				if sep || tooLarge || len(bytes.TrimSpace(buf.Bytes())) > 0 {
					m.sep = true
					m.done = err != nil
					return finishMessage(&buf, tooLarge)
				}
				// Blank lines before the first separator belong to nobody.
				sep = true
				buf.Reset()
				if err != nil {
					m.done = true
					return finishMessage(&buf, tooLarge)
				}
				continue
			}
			if lineStart && quotedFrom(chunk) {
				chunk = chunk[1:]
			}
			if !tooLarge {
				buf.Write(chunk)
				if buf.Len() > MaxMessageBytes {
					tooLarge = true
					buf.Reset()
				}
			}
			lineStart = chunk[len(chunk)-1] == '\n'
		}
		switch {
		case err == nil, errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			m.done = true
			if !sep && !tooLarge && len(bytes.TrimSpace(buf.Bytes())) == 0 {
				return nil, io.EOF
			}
			return finishMessage(&buf, tooLarge)
		default:
			return nil, err
		}
	}
}

func finishMessage(buf *bytes.Buffer, tooLarge bool) ([]byte, error) {
	if tooLarge {
		return nil, ErrMessageTooLarge
	}
	// The blank line mbox writers put before the next separator is theirs.
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return append([]byte{}, b...), nil
}
