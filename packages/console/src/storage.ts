/**
 * This tab's sessionStorage, or memory where the browser refuses it: a portal framed by
 * another site is a third party, and browsers that block third-party storage throw on any
 * access. In memory, the token lasts as long as the page, which a frame reloads with a new link.
 */
export const tabStorage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> = (() => {
  try {
    const storage = window.sessionStorage;
    storage.getItem('hooklane');
    return storage;
  } catch {
    const memory = new Map<string, string>();
    return {
      getItem: (name: string) => memory.get(name) ?? null,
      setItem: (name: string, value: string) => void memory.set(name, value),
      removeItem: (name: string) => void memory.delete(name),
    };
  }
})();
