import { useEffect, useState } from 'preact/hooks';
import { type Page, query } from '../shared/api';
import { navigate } from '../shared/router';
import type { Product } from '../shared/types';
import { Pager, ProblemBanner, money, useTitle } from '../shared/ui';
import { api } from './session';

const pageSize = 12;

// The categories are those of the catalog's first 100 products (the API has no list of them).
let categoriesLoaded: Promise<string[]> | null = null;
function categories(): Promise<string[]> {
  categoriesLoaded ??= api
    .get<Page<Product>>('/products?limit=100')
    .then((page) => [...new Set(page.items.map((p) => p.category).filter((c): c is string => !!c))].sort())
    .catch(() => []);
  return categoriesLoaded;
}

// Keyed by its query (main.tsx): a new search starts on its first page with a fresh form.
export function Catalog({ params }: { params: URLSearchParams }) {
  const q = params.get('q') ?? '';
  const category = params.get('category') ?? '';
  const sort = params.get('sort') ?? '';
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Product> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [allCategories, setAllCategories] = useState<string[]>([]);
  const [search, setSearch] = useState(q);
  useTitle(q ? `Search: ${q}` : 'Catalog');

  useEffect(() => {
    categories().then(setAllCategories);
  }, []);
  useEffect(() => {
    let current = true;
    const cursor = cursors[cursors.length - 1];
    api
      .get<Page<Product>>('/products' + query({ q, category, sort, limit: pageSize, cursor }))
      .then((p) => current && (setPage(p), setError(null)))
      .catch((e) => current && setError(e));
    return () => {
      current = false;
    };
  }, [q, category, sort, cursors]);

  const go = (changes: Record<string, string>) => {
    const next = new URLSearchParams({ q, category, sort, ...changes });
    for (const [k, v] of [...next.entries()]) if (!v) next.delete(k);
    const text = next.toString();
    navigate('/' + (text ? `?${text}` : ''));
  };

  return (
    <section aria-labelledby="catalog-title">
      <h1 id="catalog-title">Catalog</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ q: search.trim() });
        }}
      >
        <div class="field">
          <label for="search">Search</label>
          <input id="search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        </div>
        <button type="submit">Search</button>
        <div class="field">
          <label for="category">Category</label>
          <select id="category" value={category} onChange={(e) => go({ category: e.currentTarget.value })}>
            <option value="">All categories</option>
            {allCategories.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="sort">Sort by</label>
          <select id="sort" value={sort} onChange={(e) => go({ sort: e.currentTarget.value })}>
            <option value="">Newest</option>
            <option value="priceCents">Price: low to high</option>
            <option value="-priceCents">Price: high to low</option>
            <option value="name">Name</option>
          </select>
        </div>
      </form>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>No products match.</p>}
      <ul class="products" aria-live="polite">
        {page?.items.map((p) => (
          <li class="card">
            <h2>
              <a href={`#/products/${p.id}`}>{p.name}</a>
            </h2>
            {p.category && <p class="muted">{p.category}</p>}
            <p class="price">{money(p.priceCents, p.currency)}</p>
          </li>
        ))}
      </ul>
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Catalog pages" />
    </section>
  );
}
