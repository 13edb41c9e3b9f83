import { useEffect, useState } from 'preact/hooks';
import type { Product, Stock } from '../shared/types';
import { Notice, ProblemBanner, money, useTitle } from '../shared/ui';
import { addToCart } from './cart';
import { api } from './session';

export function ProductPage({ id }: { id: string }) {
  const [product, setProduct] = useState<Product | null>(null);
  const [stock, setStock] = useState<Stock | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [quantity, setQuantity] = useState(1);
  const [added, setAdded] = useState('');
  useTitle(product?.name);

  useEffect(() => {
    setProduct(null);
    api.get<Product>(`/products/${encodeURIComponent(id)}`).then(setProduct, setError);
    // Live stock: read again every few seconds while the page is open and visible.
    const readStock = () => {
      if (document.visibilityState === 'visible') api.get<Stock>(`/products/${encodeURIComponent(id)}/stock`).then(setStock, () => {});
    };
    readStock();
    const timer = setInterval(readStock, 5000);
    return () => clearInterval(timer);
  }, [id]);

  if (error) return <ProblemBanner error={error} />;
  if (!product) return <p>Loading…</p>;
  const attributes = Object.entries(product.attributes ?? {});
  return (
    <article aria-labelledby="product-title" class="product">
      <p>
        <a href="#/">Back to the catalog</a>
      </p>
      <h1 id="product-title">{product.name}</h1>
      <p class="price">{money(product.priceCents, product.currency)}</p>
      {product.status === 'archived' && <p class="problem">This product is no longer sold.</p>}
      <p class="stock" aria-live="polite">
        {stock ? (stock.available > 0 ? `In stock: ${stock.available}` : 'Out of stock') : 'Checking stock…'}
      </p>
      {product.description && <p class="description">{product.description}</p>}
      {attributes.length > 0 && (
        <dl class="attributes">
          {attributes.map(([name, value]) => (
            <div>
              <dt>{name}</dt>
              <dd>{typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>
            </div>
          ))}
        </dl>
      )}
      <p class="muted">SKU {product.sku}</p>
      {product.status === 'active' && (
        <form
          class="add"
          onSubmit={(e) => {
            e.preventDefault();
            addToCart({ productId: product.id, name: product.name, priceCents: product.priceCents, currency: product.currency, quantity });
            setAdded(`Added ${quantity} × ${product.name} to the cart.`);
          }}
        >
          <div class="field">
            <label for="quantity">Quantity</label>
            <input id="quantity" type="number" min={1} max={10000} value={quantity} onInput={(e) => setQuantity(Math.max(1, Number(e.currentTarget.value) || 1))} />
          </div>
          <button type="submit" class="primary">
            Add to cart
          </button>
        </form>
      )}
      {added && (
        <Notice>
          {added} <a href="#/cart">View the cart</a>
        </Notice>
      )}
    </article>
  );
}
