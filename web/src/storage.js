// Storage the browser grants us. Photos and videos wait on the phone until
// verified, so the app asks for persistent storage (the browser then does
// not evict it under pressure) and shows how much is used.

export async function requestPersist() {
  try {
    if (await navigator.storage?.persisted?.()) return true;
    return (await navigator.storage?.persist?.()) || false;
  } catch {
    return false;
  }
}

export async function storageInfo() {
  const out = { usage: null, quota: null, persisted: null };
  try {
    const e = await navigator.storage?.estimate?.();
    if (e) Object.assign(out, { usage: e.usage, quota: e.quota });
    out.persisted = (await navigator.storage?.persisted?.()) ?? null;
  } catch {
    // not available: the screen says "unknown"
  }
  return out;
}
