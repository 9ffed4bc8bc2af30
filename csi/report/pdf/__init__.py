"""The PDF report: a document a manager can read, rendered from a saved fit (the `csi.fit`
JSON dict), never by refitting.

- fonts: DejaVu Sans with the shipped WenQuanYi Micro Hei for every character DejaVu lacks
  (CJK labels render, embed and extract on any viewer);
- bridge: matplotlib figures (csi.report.charts) drawn straight onto the PDF page, so charts
  are vector graphics with searchable text in the same fonts as the tables;
- layout: colours, number formats, paragraph styles and the report's building blocks;
- sections: the report's sections, one function each;
- trend, hidden_segments, scenarios: the sections drawn from other saved documents (the
  waves, a `csi latent` result, `csi simulate` / `csi plan` results of the fit);
- document: page templates, the build, `render`, `write` (atomic) and `ReportInfo`.

Quality thresholds and flags belong to the analysis (csi.measures.reliability).
"""

from csi.report.pdf.bridge import figure_pdf
from csi.report.pdf.document import ReportInfo, render, write
from csi.report.pdf.fonts import CJK

__all__ = ["CJK", "ReportInfo", "figure_pdf", "render", "write"]
