export interface Product {
  id: string;
  sku: string;
  name: string;
  description?: string;
  priceCents: number;
  currency: string;
  category?: string;
  attributes?: Record<string, unknown>;
  status: 'active' | 'archived';
  version?: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface Stock {
  productId: string;
  available: number;
  reserved: number;
  lowStockThreshold?: number;
  updatedAt?: string;
}

export interface Notification {
  id: string;
  recipientId: string;
  eventType: string;
  channel: string;
  subject?: string;
  body?: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts?: number;
  lastError?: string | null;
  createdAt: string;
  deliveredAt?: string | null;
}
