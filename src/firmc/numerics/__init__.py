"""Self-contained numerical routines (special functions, adaptive quadrature) used by firmc."""
