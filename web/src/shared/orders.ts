// An order's status, live: its event stream (GET /orders/{id}/events, Server-Sent Events whose
// data is the order) where the server has it, else GET /orders/{id} once a second, until the
// order reaches a final state.
import type { Api } from './api';
import { NotAStream, readEvents } from './sse';

export interface OrderItem {
  productId: string;
  sku?: string;
  name?: string;
  quantity: number;
  unitPriceCents?: number;
  lineTotalCents?: number;
}

export interface Order {
  id: string;
  userId: string;
  status: 'pending' | 'confirmed' | 'rejected' | 'cancelled';
  items: OrderItem[];
  totalCents: number;
  currency: string;
  note?: string;
  rejectionReason?: {
    code?: string;
    lines?: { productId: string; requested?: number; available?: number }[];
  } | null;
  history?: { status: string; reason?: string | null; at: string }[];
  createdAt: string;
  updatedAt?: string;
}

export function isFinal(order: Order): boolean {
  return order.status !== 'pending';
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

export async function watchOrder(api: Api, id: string, onOrder: (order: Order, live: 'stream' | 'polling') => void, signal: AbortSignal) {
  const path = `/orders/${encodeURIComponent(id)}`;
  let final = false;
  try {
    const authorization = await api.authorization();
    await readEvents(
      `${path}/events`,
      authorization ? { Authorization: authorization } : {},
      (event) => {
        try {
          const order = JSON.parse(event.data) as Order;
          if (order && order.id === id) {
            final = isFinal(order);
            onOrder(order, 'stream');
          }
        } catch {
          // A comment or an event of another shape: not an order.
        }
      },
      signal,
    );
  } catch (error) {
    if (signal.aborted) return;
    if (!(error instanceof NotAStream)) {
      // The stream broke: polling picks up from here.
    }
  }
  while (!final && !signal.aborted) {
    try {
      const order = await api.get<Order>(path);
      if (signal.aborted) return;
      final = isFinal(order);
      onOrder(order, 'polling');
      if (final) return;
    } catch {
      // A failed poll is retried on the next tick.
    }
    await sleep(1000, signal);
  }
}

export function rejectionText(order: Order): string | null {
  if (order.status !== 'rejected') return null;
  const reason = order.rejectionReason;
  const codes: Record<string, string> = {
    insufficient_stock: 'Not enough stock',
    unknown_product: 'A product does not exist',
    product_archived: 'A product is no longer sold',
  };
  const lastReason = order.history?.filter((h) => h.status === 'rejected').pop()?.reason;
  return (reason?.code && codes[reason.code]) || lastReason || 'Rejected';
}

/** The rejected lines, named: "Blue mug: 5 requested, 2 available". */
export function missingLines(order: Order): string[] {
  const names = new Map(order.items.map((item) => [item.productId, item.name || item.sku || item.productId]));
  return (order.rejectionReason?.lines ?? []).map((line) => {
    const name = names.get(line.productId) ?? line.productId;
    const parts = [name];
    if (line.requested !== undefined) parts.push(`${line.requested} requested`);
    if (line.available !== undefined) parts.push(`${line.available} available`);
    return parts.length > 1 ? `${parts[0]}: ${parts.slice(1).join(', ')}` : name;
  });
}
