// The setup token arrives in the URL fragment (#token=...), which the browser
// never sends to the server; we post it in the request body instead.
const form = document.getElementById('setup');
const message = document.getElementById('message');
const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
if (!token) {
  message.textContent = 'This page needs the one-time link printed in the server log.';
}
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = { token, username: form.username.value, password: form.password.value };
  const res = await fetch('/api/v1/setup', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (res.ok) {
    history.replaceState(null, '', '/setup');
    location.href = '/';
  } else {
    message.textContent = (data.error && data.error.message) || 'Setup failed.';
  }
});
