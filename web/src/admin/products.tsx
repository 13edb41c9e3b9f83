import { useEffect, useState } from 'preact/hooks';
import { ApiError, type Page, query } from '../shared/api';
import { navigate } from '../shared/router';
import type { Product, Stock } from '../shared/types';
import { Field, Notice, Pager, ProblemBanner, TextArea, errorFields, money, parseCents, when, useTitle } from '../shared/ui';
import { api, path } from './session';
import { StockPanel } from './stock';

export function ProductList({ params }: { params: URLSearchParams }) {
  useTitle('Products');
  const q = params.get('q') ?? '';
  const [search, setSearch] = useState(q);
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Product> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Page<Product>>('/products' + query({ q, limit: 20, cursor: cursors[cursors.length - 1] })).then(setPage, setError);
  }, [q, cursors]);
  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">Products</h1>
      <div class="actions">
        <a href="#/products/new">New product</a>
      </div>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/products' + query({ q: search.trim() }));
        }}
      >
        <div class="field">
          <label for="product-search">Search</label>
          <input id="product-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      <ProblemBanner error={error} />
      {page && (
        <table>
          <caption class="visually-hidden">Products</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">SKU</th>
              <th scope="col">Category</th>
              <th scope="col">Price</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((p) => (
              <tr>
                <th scope="row">
                  <a href={`#/products/${p.id}`}>{p.name}</a>
                </th>
                <td>{p.sku}</td>
                <td>{p.category}</td>
                <td>{money(p.priceCents, p.currency)}</td>
                <td>{p.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Product pages" />
    </section>
  );
}

const text = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

/** The attributes field: a JSON object, or empty. */
function parseAttributes(raw: string): Record<string, unknown> | undefined | 'bad' {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : 'bad';
  } catch {
    return 'bad';
  }
}

/** The form's fields as the API's names, or the local errors it has before sending. */
function readProduct(form: FormData, creating: boolean): [Record<string, unknown>, Record<string, string>] {
  const body: Record<string, unknown> = { name: text(form, 'name'), currency: text(form, 'currency').toUpperCase() };
  // Empty optional fields are left out (the API refuses an empty category).
  for (const name of ['description', 'category']) if (text(form, name)) body[name] = text(form, name);
  const local: Record<string, string> = {};
  const cents = parseCents(text(form, 'price'));
  if (cents === null) local.priceCents = 'Enter a price such as 12.50';
  else body.priceCents = cents;
  const attributes = parseAttributes(text(form, 'attributes'));
  if (attributes === 'bad') local.attributes = 'Enter a JSON object, such as {"colour": "blue"}';
  else if (attributes) body.attributes = attributes;
  if (creating) {
    body.sku = text(form, 'sku');
    const initial = text(form, 'initialStock');
    if (initial) {
      if (!/^\d+$/.test(initial)) local.initialStock = 'Enter a whole number';
      else body.initialStock = Number(initial);
    }
  }
  return [body, local];
}

function ProductFields({ product, fields, creating }: { product?: Product; fields: Record<string, string>; creating: boolean }) {
  return (
    <>
      {creating && <Field label="SKU" name="sku" required errors={fields} hint="Letters, digits, '.', '-' and '_'." />}
      <Field label="Name" name="name" required defaultValue={product?.name} errors={fields} />
      <TextArea label="Description" name="description" rows={4} defaultValue={product?.description} errors={fields} />
      <div class="row">
        <Field label="Price" name="price" inputMode="decimal" required defaultValue={product ? (product.priceCents / 100).toFixed(2) : ''} errors={fields} errorKey="priceCents" />
        <Field label="Currency" name="currency" required defaultValue={product?.currency ?? 'EUR'} maxLength={3} errors={fields} />
        <Field label="Category" name="category" defaultValue={product?.category} errors={fields} />
        {creating && <Field label="Initial stock" name="initialStock" inputMode="numeric" defaultValue="0" errors={fields} />}
      </div>
      <TextArea label="Attributes (JSON)" name="attributes" rows={3} defaultValue={product?.attributes && Object.keys(product.attributes).length ? JSON.stringify(product.attributes) : ''} errors={fields} />
    </>
  );
}

export function NewProduct() {
  useTitle('New product');
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const fields = { ...errorFields(error), ...local };
  return (
    <section class="narrow" aria-labelledby="new-product-title">
      <h1 id="new-product-title">New product</h1>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const [body, localErrors] = readProduct(new FormData(e.currentTarget), true);
          setLocal(localErrors);
          setError(null);
          if (Object.keys(localErrors).length) return;
          setBusy(true);
          try {
            const created = await api.request<Product>('POST', '/products', body);
            navigate(`/products/${created.data.id}?created=1`);
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <ProductFields fields={fields} creating />
        <ProblemBanner error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Create product
        </button>
      </form>
    </section>
  );
}

export function EditProduct({ id, params }: { id: string; params: URLSearchParams }) {
  const [product, setProduct] = useState<Product | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [conflict, setConflict] = useState(false);
  const [saved, setSaved] = useState(params.get('created') ? 'Product created.' : '');
  const [version, setVersion] = useState(0);
  useTitle(product?.name);

  useEffect(() => {
    api.request<Product>('GET', `/products/${path(id)}`).then(
      (answer) => {
        setProduct(answer.data);
        setEtag(answer.headers.get('ETag'));
      },
      setError,
    );
  }, [id, version]);

  const reload = () => {
    setConflict(false);
    setError(null);
    setVersion((v) => v + 1);
  };

  const save = async (form: FormData) => {
    const [body, localErrors] = readProduct(form, false);
    setLocal(localErrors);
    setError(null);
    setSaved('');
    if (Object.keys(localErrors).length) return;
    try {
      // If-Match: the save applies only to the version this form was filled from.
      const answer = await api.request<Product>('PATCH', `/products/${path(id)}`, body, { headers: etag ? { 'If-Match': etag } : {} });
      setProduct(answer.data);
      setEtag(answer.headers.get('ETag'));
      setSaved('Saved.');
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else setError(err);
    }
  };

  const archive = async () => {
    if (!confirm('Archive this product? It will no longer be sold.')) return;
    try {
      await api.request('DELETE', `/products/${path(id)}`, undefined, { headers: etag ? { 'If-Match': etag } : {} });
      setSaved('Archived.');
      setVersion((v) => v + 1);
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) setConflict(true);
      else setError(err);
    }
  };

  if (!product) return error ? <ProblemBanner error={error} /> : <p>Loading…</p>;
  const fields = { ...errorFields(error), ...local };
  return (
    <section aria-labelledby="edit-title">
      <p>
        <a href="#/products">All products</a>
      </p>
      <h1 id="edit-title">{product.name}</h1>
      <p class="muted">
        SKU {product.sku}, {product.status}, version {product.version}, updated {when(product.updatedAt)}
      </p>
      {saved && <Notice>{saved}</Notice>}
      {conflict && (
        <div class="problem" role="alert">
          <p>Conflict: someone else changed this product since you opened it. Your changes were not saved.</p>
          <button type="button" onClick={reload}>
            Load the latest version
          </button>
        </div>
      )}
      <form
        key={`${product.id}-${product.version}`}
        class="narrow"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save(new FormData(e.currentTarget));
        }}
      >
        <ProductFields product={product} fields={fields} creating={false} />
        <ProblemBanner error={error} />
        <div class="actions">
          <button type="submit" class="primary">
            Save
          </button>
          {product.status === 'active' && (
            <button type="button" class="danger" onClick={archive}>
              Archive
            </button>
          )}
        </div>
      </form>
      <StockPanel productId={product.id} />
    </section>
  );
}

export type { Stock };
