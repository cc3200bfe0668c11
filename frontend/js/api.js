// The API client: JSON in and out, the Bearer access token, one refresh on a 401, and an
// Idempotency-Key on every POST and PATCH (a retry after the refresh reuses the same key).
//
// Tokens are kept in localStorage for now. That is readable by any script on this origin, so
// the CSP (script-src 'self', no inline scripts) is what guards them; moving the refresh token
// to an HttpOnly cookie or IndexedDB behind the PIN lock is planned with the full PWA.
const STORE = "accord.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `Request failed (${status})`);
    this.status = status;
    this.code = body && body.code;
    this.body = body;
  }
}

export function session() {
  try {
    return JSON.parse(localStorage.getItem(STORE)) || null;
  } catch {
    return null;
  }
}

function saveSession(answer) {
  localStorage.setItem(
    STORE,
    JSON.stringify({
      user: answer.user,
      access_token: answer.access_token,
      refresh_token: answer.refresh_token,
    }),
  );
}

export function clearSession() {
  localStorage.removeItem(STORE);
}

async function send(method, path, body, headers) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  return { response, data };
}

// One refresh at a time: the server takes two refreshes with one token as a stolen token.
let refreshing = null;

function refresh() {
  const current = session();
  if (!current || !current.refresh_token) return Promise.resolve(false);
  if (!refreshing) {
    refreshing = send("POST", "/api/auth/refresh", { refresh_token: current.refresh_token }, {})
      .then(({ response, data }) => {
        if (!response.ok) return false;
        saveSession(data);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

export async function api(method, path, body) {
  const extra = {};
  if (method === "POST" || method === "PATCH") extra["Idempotency-Key"] = crypto.randomUUID();
  const attempt = () => {
    const current = session();
    const auth = current ? { Authorization: `Bearer ${current.access_token}` } : {};
    return send(method, path, body, { ...extra, ...auth });
  };
  let { response, data } = await attempt();
  if (response.status === 401 && session()) {
    if (await refresh()) ({ response, data } = await attempt());
    if (response.status === 401) clearSession();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function register({ email, password, display_name }) {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const { response, data } = await send(
    "POST",
    "/api/auth/register",
    { email, password, display_name, timezone },
    {},
  );
  if (!response.ok) throw new ApiError(response.status, data);
  saveSession(data);
  return data.user;
}

export async function login({ email, password }) {
  const { response, data } = await send("POST", "/api/auth/login", { email, password }, {});
  if (!response.ok) throw new ApiError(response.status, data);
  saveSession(data);
  return data.user;
}

export async function logout() {
  const current = session();
  clearSession();
  if (!current) return;
  try {
    await send(
      "POST",
      "/api/auth/logout",
      { refresh_token: current.refresh_token },
      { Authorization: `Bearer ${current.access_token}` },
    );
  } catch {
    // Offline: the session stays on the server until it expires or is ended from elsewhere.
  }
}
