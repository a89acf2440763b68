// A keyboard-wedge barcode scanner types the code like a very fast typist
// and presses Enter. WedgeBuffer tells such bursts from a person typing, so
// the scan screen can take a scan wherever the focus is. Pure: the node
// tests feed it keys and times.

export class WedgeBuffer {
  /**
   * maxGap: the longest pause between two characters of one scan (ms).
   * Scanners send a character every few ms, Bluetooth ones up to ~50 ms,
   * but a busy page (the camera decoder runs on the same thread) can hand
   * them over late. Outside a text field nobody types by hand, so the
   * margin is generous; a scan still has to end in Enter or go quiet.
   * minLength: shorter bursts are keyboard noise, not codes.
   */
  constructor({ maxGap = 250, minLength = 4 } = {}) {
    this.maxGap = maxGap;
    this.minLength = minLength;
    this.reset();
  }

  reset() {
    this.chars = '';
    this.last = -Infinity;
  }

  /**
   * key takes one KeyboardEvent key at time t (ms) and returns the scanned
   * code when this key ends a scan, otherwise null.
   */
  key(key, t) {
    if (key === 'Enter' || key === 'Tab') {
      const code = this.chars;
      const fresh = t - this.last <= this.maxGap * 3;
      this.reset();
      return code.length >= this.minLength && fresh ? code : null;
    }
    if (typeof key !== 'string' || [...key].length !== 1) return null; // Shift, arrows, ...
    if (t - this.last > this.maxGap) this.chars = '';
    this.chars += key;
    this.last = t;
    return null;
  }

  /**
   * flush ends a burst from a scanner set up without an Enter suffix: called
   * a moment after the last key, it returns the code if the burst was long
   * enough to be one.
   */
  flush(t, idle = 250) {
    if (this.chars.length >= Math.max(this.minLength, 8) && t - this.last >= idle) {
      const code = this.chars;
      this.reset();
      return code;
    }
    return null;
  }
}
