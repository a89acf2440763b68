// hash-wasm's incremental SHA-256, in a module of its own so that the
// bundler keeps only SHA-256 of the library and loads it on first need.
export { createSHA256 } from 'hash-wasm';
