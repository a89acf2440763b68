// A minimal bench page: sign in, then scan. The session rides on an HttpOnly
// cookie, so this script never holds the token.
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const res = await fetch(path, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
  return data;
}

async function show() {
  try {
    const me = await api('GET', '/api/v1/auth/me');
    $('who').textContent = `${me.user.username} (${me.user.role})`;
    $('login').hidden = true;
    $('bench').hidden = false;
  } catch {
    $('login').hidden = false;
    $('bench').hidden = true;
  }
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('POST', '/api/v1/auth/login', { username: e.target.username.value, password: e.target.password.value });
    $('message').textContent = '';
    show();
  } catch (err) { $('message').textContent = err.message; }
});

$('logout').addEventListener('click', async () => {
  await api('POST', '/api/v1/auth/logout').catch(() => {});
  show();
});

$('scan').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const code = e.target.code.value;
    const data = await api('GET', '/api/v1/scan?code=' + encodeURIComponent(code));
    $('result').textContent = JSON.stringify(data, null, 2);
    e.target.code.select();
  } catch (err) { $('message').textContent = err.message; }
});

show();
