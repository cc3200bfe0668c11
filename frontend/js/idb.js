// A small promise wrapper over IndexedDB, usable from pages and from the service worker.
// One database, "accord", with four stores:
//   kv       small values by key (the session, the sync cursor, the PIN, device settings)
//   entities the sync feed's local copy, keyed "entity:id"
//   views    the last answer of a computed GET (today, balance), keyed by path
//   outbox   writes waiting to be sent, in the order they were made
const NAME = "accord";
const VERSION = 1;
let opening = null;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function db() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const base = request.result;
        base.createObjectStore("kv");
        const entities = base.createObjectStore("entities", { keyPath: "key" });
        entities.createIndex("entity", "entity");
        base.createObjectStore("views");
        base.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      };
      request.onsuccess = () => {
        const base = request.result;
        // Another tab upgrading the schema: step aside so it can.
        base.onversionchange = () => {
          base.close();
          opening = null;
        };
        resolve(base);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

// Runs work(stores) in one transaction and resolves with its result once the transaction
// has committed, so a caller never sees a write that could still be rolled back.
export async function tx(names, mode, work) {
  const base = await db();
  return new Promise((resolve, reject) => {
    const transaction = base.transaction(names, mode);
    const stores = Object.fromEntries([names].flat().map((n) => [n, transaction.objectStore(n)]));
    let result;
    Promise.resolve(work(stores)).then(
      (value) => {
        result = value;
      },
      (error) => {
        transaction.abort();
        reject(error);
      },
    );
    transaction.oncomplete = () => resolve(result);
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("transaction aborted"));
  });
}

export const req = promised;

export async function get(store, key) {
  return tx(store, "readonly", (s) => promised(s[store].get(key)));
}

export async function put(store, value, key) {
  return tx(store, "readwrite", (s) => promised(key === undefined ? s[store].put(value) : s[store].put(value, key)));
}

export async function del(store, key) {
  return tx(store, "readwrite", (s) => promised(s[store].delete(key)));
}

export async function all(store) {
  return tx(store, "readonly", (s) => promised(s[store].getAll()));
}

// Everything of this device's account, for sign-out and account deletion.
export async function wipe() {
  return tx(["kv", "entities", "views", "outbox"], "readwrite", (s) =>
    Promise.all(Object.values(s).map((store) => promised(store.clear()))),
  );
}
