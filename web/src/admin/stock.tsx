import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Page, query } from '../shared/api';
import type { Stock } from '../shared/types';
import { Field, Notice, Pager, ProblemBanner, errorFields, when, shortId, useTitle } from '../shared/ui';
import { api, path } from './session';

interface LedgerEntry {
  id: string;
  deltaAvailable: number;
  deltaReserved: number;
  availableAfter: number;
  reservedAfter: number;
  reason: string;
  orderId?: string | null;
  actor?: string;
  note?: string;
  createdAt: string;
}

const number = (form: FormData, name: string) => {
  const raw = String(form.get(name) ?? '').trim();
  return /^\d+$/.test(raw) ? Number(raw) : raw === '' ? undefined : NaN;
};

export function StockPanel({ productId }: { productId: string }) {
  const [stock, setStock] = useState<Stock | null>(null);
  // The ETag of the stock shown: setting a level applies only to the reading it was decided on.
  const [stockTag, setStockTag] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [version, setVersion] = useState(0);
  const [cursors, setCursors] = useState<string[]>([]);
  const [ledger, setLedger] = useState<Page<LedgerEntry> | null>(null);

  useEffect(() => {
    api.request<Stock>('GET', `/products/${path(productId)}/stock`).then((answer) => {
      setStock(answer.data);
      setStockTag(answer.headers.get('ETag'));
    }, setError);
    api.get<Page<LedgerEntry>>(`/products/${path(productId)}/stock/movements` + query({ limit: 20, cursor: cursors[cursors.length - 1] })).then(setLedger, () => {});
  }, [productId, version, cursors]);

  // Replenishing adds to whatever is there; setting replaces it, so it names the reading (If-Match)
  // and a stock that moved meanwhile (412) is shown again rather than overwritten.
  const act = async (method: string, suffix: string, body: unknown, message: string, conditional = false) => {
    setError(null);
    setDone('');
    try {
      const headers: Record<string, string> = conditional && stockTag ? { 'If-Match': stockTag } : {};
      const answer = await api.request<Stock>(method, `/products/${path(productId)}${suffix}`, body, { headers });
      setStock(answer.data);
      setStockTag(answer.headers.get('ETag'));
      setDone(message);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(e);
      if (e instanceof ApiError && e.status === 412) setVersion((v) => v + 1);
    }
  };
  const fields = errorFields(error);

  return (
    <section aria-labelledby="stock-title">
      <h2 id="stock-title">Stock</h2>
      {stock && (
        <p class="stock">
          Available {stock.available}, reserved {stock.reserved}
          {stock.lowStockThreshold !== undefined ? `, low below ${stock.lowStockThreshold}` : ''}
        </p>
      )}
      {done && <Notice>{done}</Notice>}
      <ProblemBanner error={error} />
      <div class="row">
        <form
          class="row"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            act('PATCH', '/replenish', { quantity: number(form, 'quantity'), reason: String(form.get('replenishReason') ?? '') || undefined }, 'Stock replenished.');
          }}
        >
          <Field label="Replenish by" name="quantity" inputMode="numeric" errors={fields} />
          <Field label="Reason" name="replenishReason" errors={fields} errorKey="reason" />
          <button type="submit">Replenish</button>
        </form>
        <form
          class="row"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            act('PUT', '/stock', { available: number(form, 'available'), lowStockThreshold: number(form, 'lowStockThreshold') }, 'Stock set.', true);
          }}
        >
          <Field label="Set available to" name="available" inputMode="numeric" errors={fields} />
          <Field label="Low-stock threshold" name="lowStockThreshold" inputMode="numeric" errors={fields} />
          <button type="submit">Set stock</button>
        </form>
      </div>
      <h3>Ledger</h3>
      {ledger && ledger.items.length === 0 && <p>No movements.</p>}
      {ledger && ledger.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Stock ledger</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Reason</th>
              <th scope="col">Available</th>
              <th scope="col">Reserved</th>
              <th scope="col">Order</th>
            </tr>
          </thead>
          <tbody>
            {ledger.items.map((entry) => (
              <tr>
                <td>{when(entry.createdAt)}</td>
                <td>
                  {entry.reason}
                  {entry.note ? `: ${entry.note}` : ''}
                </td>
                <td>
                  {entry.availableAfter} ({entry.deltaAvailable >= 0 ? '+' : ''}
                  {entry.deltaAvailable})
                </td>
                <td>
                  {entry.reservedAfter} ({entry.deltaReserved >= 0 ? '+' : ''}
                  {entry.deltaReserved})
                </td>
                <td>{entry.orderId ? <a href={`#/orders/${entry.orderId}`}>{shortId(entry.orderId)}</a> : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={ledger?.nextCursor ?? null} onPage={setCursors} label="Ledger pages" />
    </section>
  );
}

export function LowStock() {
  useTitle('Low stock');
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Stock & { name?: string; sku?: string }> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Page<Stock>>('/inventory/low-stock' + query({ limit: 50, cursor: cursors[cursors.length - 1] })).then(setPage, setError);
  }, [cursors]);
  return (
    <section aria-labelledby="low-title">
      <h1 id="low-title">Low stock</h1>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>Nothing is low on stock.</p>}
      {page && page.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Products low on stock</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Available</th>
              <th scope="col">Reserved</th>
              <th scope="col">Threshold</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((s) => (
              <tr>
                <th scope="row">
                  <a href={`#/products/${s.productId}`}>{s.name ?? s.sku ?? s.productId}</a>
                </th>
                <td>{s.available}</td>
                <td>{s.reserved}</td>
                <td>{s.lowStockThreshold}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Low-stock pages" />
    </section>
  );
}
