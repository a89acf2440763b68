// The phone's back camera, shared by the scan screen, the photo steps and
// the unboxing video: one stream at a time, opened when a screen needs it
// and stopped when none does (a running camera drains a phone's battery
// and keeps its light on).

let stream = null;
let opening = null;
let users = 0;

/**
 * acquire opens the camera (or reuses the open stream) and returns it.
 * Each acquire needs one release.
 */
export async function acquire() {
  users++;
  if (stream && stream.active) return stream;
  if (!opening) {
    opening = navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1920 }, height: { ideal: 1080 } },
    }).then((s) => {
      stream = s;
      return s;
    }).finally(() => {
      opening = null;
    });
  }
  try {
    return await opening;
  } catch (err) {
    users = Math.max(0, users - 1);
    throw err;
  }
}

/** release gives the camera back; the last release stops it. */
export function release() {
  users = Math.max(0, users - 1);
  if (users === 0 && stream) {
    // A moment's grace: moving from one step to the next keeps the stream.
    setTimeout(() => {
      if (users === 0 && stream) {
        stream.getTracks().forEach((t) => t.stop());
        stream = null;
      }
    }, 1500);
  }
}

/** hasCamera tells whether this browser can open a camera at all. */
export function hasCamera() {
  return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
}

/**
 * snapshot takes a still from a playing video element at the camera's full
 * resolution, as JPEG.
 */
export async function snapshot(video, quality = 0.9) {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) throw new Error('camera not ready');
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').drawImage(video, 0, 0, w, h);
  return new Promise((resolve, reject) => {
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('photo failed'))), 'image/jpeg', quality);
  });
}

/** cameraErrorKey names the message for a getUserMedia failure. */
export function cameraErrorKey(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'camera.denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'camera.none';
    case 'NotReadableError':
      return 'camera.busy';
    default:
      return 'camera.failed';
  }
}
