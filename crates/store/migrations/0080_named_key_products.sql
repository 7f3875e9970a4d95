-- A named key's allowed products (comma-separated MIS, CNC, NRML); NULL: any product.
ALTER TABLE named_keys ADD COLUMN products TEXT;
