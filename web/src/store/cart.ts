// The cart: lines kept in localStorage, so it survives reloads, failed orders and logging out.
import { useEffect, useState } from 'preact/hooks';

export interface CartLine {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  quantity: number;
}

const key = 'ordo.cart';
const listeners = new Set<() => void>();

export function cartLines(): CartLine[] {
  try {
    const lines = JSON.parse(localStorage.getItem(key) ?? '[]');
    return Array.isArray(lines) ? lines : [];
  } catch {
    return [];
  }
}

function save(lines: CartLine[]) {
  try {
    localStorage.setItem(key, JSON.stringify(lines));
  } catch {
    // Storage disabled: the cart lasts as long as the page.
  }
  for (const listener of listeners) listener();
}

export function addToCart(line: CartLine) {
  const lines = cartLines();
  const existing = lines.find((l) => l.productId === line.productId);
  if (existing) existing.quantity += line.quantity;
  else lines.push(line);
  save(lines);
}

export function setQuantity(productId: string, quantity: number) {
  save(cartLines().map((l) => (l.productId === productId ? { ...l, quantity } : l)));
}

export function removeLine(productId: string) {
  save(cartLines().filter((l) => l.productId !== productId));
}

export function clearCart() {
  save([]);
}

export function useCart(): CartLine[] {
  const [lines, setLines] = useState(cartLines());
  useEffect(() => {
    const update = () => setLines(cartLines());
    listeners.add(update);
    // Another tab changed it.
    const storage = (event: StorageEvent) => event.key === key && update();
    addEventListener('storage', storage);
    return () => {
      listeners.delete(update);
      removeEventListener('storage', storage);
    };
  }, []);
  return lines;
}
