// Webhooks and their deliveries: what reached the shop's integrations, what failed, and a retry.
import { useEffect, useState } from 'preact/hooks';
import { type Page, query } from '../shared/api';
import { Notice, Pager, ProblemBanner, when, useTitle } from '../shared/ui';
import { api, path } from './session';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  status: 'active' | 'disabled';
  createdAt: string;
}

interface Delivery {
  id: string;
  eventType: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  lastResponseCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export function Webhooks() {
  useTitle('Webhooks');
  const [page, setPage] = useState<Page<Webhook> | null>(null);
  const [cursors, setCursors] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Page<Webhook>>('/webhooks' + query({ limit: 50, cursor: cursors[cursors.length - 1] })).then(setPage, setError);
  }, [cursors]);
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>No webhooks are registered (POST /webhooks adds one).</p>}
      {page && page.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Webhooks</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Status</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((w) => (
              <tr>
                <th scope="row">
                  <a href={`#/webhooks/${w.id}`}>{w.url}</a>
                  {w.description && <div class="muted">{w.description}</div>}
                </th>
                <td>{w.events.join(', ')}</td>
                <td>{w.status}</td>
                <td>{when(w.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Webhook pages" />
    </section>
  );
}

export function WebhookDeliveries({ id }: { id: string }) {
  useTitle('Webhook deliveries');
  const [hook, setHook] = useState<Webhook | null>(null);
  const [page, setPage] = useState<Page<Delivery> | null>(null);
  const [cursors, setCursors] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api.get<Webhook>(`/webhooks/${path(id)}`).then(setHook, setError);
  }, [id]);
  useEffect(() => {
    api.get<Page<Delivery>>(`/webhooks/${path(id)}/deliveries` + query({ limit: 50, cursor: cursors[cursors.length - 1] })).then(setPage, setError);
  }, [id, cursors, version]);
  const retry = async (delivery: Delivery) => {
    setError(null);
    try {
      await api.request('POST', `/webhooks/${path(id)}/deliveries/${path(delivery.id)}/retry`);
      setDone('Retry scheduled.');
    } catch (e) {
      setError(e);
    }
    setVersion((v) => v + 1);
  };
  return (
    <section aria-labelledby="deliveries-title">
      <p>
        <a href="#/webhooks">All webhooks</a>
      </p>
      <h1 id="deliveries-title">Deliveries to {hook?.url ?? 'webhook'}</h1>
      {done && <Notice>{done}</Notice>}
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>Nothing delivered yet.</p>}
      {page && page.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Deliveries</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((d) => (
              <tr>
                <td>{when(d.createdAt)}</td>
                <td>{d.eventType}</td>
                <td>
                  {d.status}
                  {d.nextAttemptAt ? `, next ${when(d.nextAttemptAt)}` : ''}
                </td>
                <td>{d.attempts}</td>
                <td>{[d.lastResponseCode, d.lastError].filter((x) => x !== null && x !== '').join(': ')}</td>
                <td>
                  {d.status === 'failed' && (
                    <button type="button" onClick={() => retry(d)} aria-label={`Retry delivery of ${d.eventType} from ${when(d.createdAt)}`}>
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Delivery pages" />
    </section>
  );
}
