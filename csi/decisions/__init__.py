"""From a fit to decisions: what-if simulation, an improvement plan under a budget, and the
aggregation of company indices into industry, sector and national ones. Works on saved JSON
documents (like `csi report`), never refits."""
