"""Reading survey files into a Survey, and turning a model's items into a clean numeric matrix.

    read_survey(path, options)                 -> Survey       (readers, delimited, exports,
                                                                header_rows)
    item_matrix(survey, spec, scale, options)  -> ItemData     (items, answers, careless,
                                                                timing, missing, quality)
    assess(survey, spec, options)              -> DataQuality  (the `csi validate` report)

Every problem is raised as a DataError naming the file, the column and the row. Rows are
respondents, numbered from 1 for the first respondent after the header (and after a survey
tool's extra header rows); blank lines are not counted.
"""

from csi.ingest.columns import ColumnMap, load_column_map
from csi.ingest.items import MIN_ROWS, ItemData, Scale, assess, item_matrix
from csi.ingest.options import (
    MISSING_METHODS,
    IngestOptions,
    parse_codes,
    parse_na,
    parse_names,
    parse_scale,
)
from csi.ingest.quality import DataQuality, ItemQuality
from csi.ingest.readers import read_survey
from csi.ingest.survey import Survey

__all__ = [
    "MIN_ROWS",
    "MISSING_METHODS",
    "ColumnMap",
    "DataQuality",
    "IngestOptions",
    "ItemData",
    "ItemQuality",
    "Scale",
    "Survey",
    "assess",
    "item_matrix",
    "load_column_map",
    "parse_codes",
    "parse_na",
    "parse_names",
    "parse_scale",
    "read_survey",
]
