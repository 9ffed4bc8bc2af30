"""Build the ingest test fixtures from surveys/mobi.csv (250 respondents x 24 items, 1-10).

Every fixture holds mobi's answers, respondent by respondent in mobi's order, in the layout an
analyst gets from a survey tool or another program, so fitting it must give mobi's estimates:

    qualtrics.csv        Qualtrics CSV export: UTF-8 with BOM, 3 header rows (names, question
                         text with commas and a line break, ImportId records), metadata columns
                         and an open-ended comment column with commas and line breaks.
    surveymonkey.csv     SurveyMonkey export: question text in row 1 (blank after a matrix
                         question's first column), sub-questions / "Response" in row 2.
    surveymonkey_map.csv --map file for it (column,indicator).
    gb18030.csv          GB18030 text, Chinese question text as column names, a Chinese city
                         column; gb18030_map.yaml maps the questions to indicators (YAML).
    semicolon.csv        European Excel CSV: cp1252, semicolons, decimal commas. Answers are
                         halved (0,5 ... 5), an exact binary scaling, so with --scale 0.5:5 the
                         estimates equal mobi's on 1:10; a weight column "poids" with commas.
    survey.xlsx          Workbook: a "Notes" sheet first, the data on sheet "Responses".
    survey.sav           SPSS: variable labels, value labels 98 "Don't know" / 99 "Refused"
                         declared user-missing, and 30 answers replaced by those codes;
    survey_sav_clean.csv the same data with those 30 answers blank (the clean CSV to compare).
    survey.parquet       Parquet with int8 items and a string respondent column.

Export layouts of Chinese survey platforms (made up, with the platforms' column conventions),
each with a question-text row under short Chinese column names (chinese_map.csv maps them to
indicators), a respondent-ID column, completion times, and "don't know" answers written as
text in the same 24 cells; chinese_clean.csv is mobi with those cells blank:

    wenjuanxing.csv      GB18030; 序号 (ID), 提交答卷时间, 所用时间 as "312秒", 来源, 来自IP;
                         不知道 answers.
    tencent.xlsx         Workbook; 编号 (ID), 开始答题时间, 结束答题时间, 答题时长 as "5分12秒";
                         不知道 answers as text cells.
    credamo.csv          UTF-8 with BOM; 答卷编号 (ID), 开始时间, 提交时间, 作答时长(秒) in seconds;
                         two rows under the header (question text, question IDs); answers
                         " 不知道 " (blanks around) and 拒绝回答.
    merged.xlsx          Workbook with merged header cells: each construct's name merged across
                         its items' columns, the sub-questions in the row below, "ID" and the
                         single-item "Complaints" merged down two rows; merged_map.csv maps
                         the `question - sub-question` names to indicators.

Every export with a time column (these and qualtrics.csv) has the same three speeders, at
respondents SPEEDERS (1-based): their times are below a third of the median, everybody
else's are above half of it.

Deterministic: fixed seeds, and the timestamps inside the .xlsx (zip entries, document
properties) and the .sav header are pinned, so running the script again gives the same files.
Run from the repository root:  python tests/data/ingest/make_fixtures.py
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
MOBI = ROOT / "surveys" / "mobi.csv"

# Question text of each item (surveys/README.md).
QUESTIONS = {
    "IMAG1": ("Image", "It can be trusted"),
    "IMAG2": ("Image", "It is stable and firmly established"),
    "IMAG3": ("Image", "It makes a social contribution to society"),
    "IMAG4": ("Image", "It is concerned about its customers"),
    "IMAG5": ("Image", "It is innovative and forward looking"),
    "CUEX1": ("Expectations", "Your expectations of the overall quality"),
    "CUEX2": ("Expectations", "How well it would meet your personal needs"),
    "CUEX3": ("Expectations", "How often things could go wrong"),
    "PERQ1": ("Quality", "Overall perceived quality"),
    "PERQ2": ("Quality", "Technical quality of the network"),
    "PERQ3": ("Quality", "Customer service and personal advice"),
    "PERQ4": ("Quality", "Quality of the services you use"),
    "PERQ5": ("Quality", "Range of services and products offered"),
    "PERQ6": ("Quality", "Reliability and accuracy of the products and services"),
    "PERQ7": ("Quality", "Clarity and transparency of information"),
    "PERV1": ("Value", "Price given the quality"),
    "PERV2": ("Value", "Quality given the price"),
    "CUSA1": ("Satisfaction", "Overall satisfaction"),
    "CUSA2": ("Satisfaction", "Fulfilment of expectations"),
    "CUSA3": ("Satisfaction", "Compared with your ideal provider"),
    "CUSCO": ("Complaints", "How well your complaint was, or would be, handled"),
    "CUSL1": ("Loyalty", "Would you choose this provider again?"),
    "CUSL2": ("Loyalty", "Price rise you would accept before switching"),
    "CUSL3": ("Loyalty", "Would you recommend this provider to friends?"),
}
MATRIX = {  # SurveyMonkey matrix questions (one header cell, several columns)
    "Image": "How much do you agree with these statements about your provider?",
    "Quality": "How do you rate your provider on the following?",
    "Satisfaction": "How satisfied are you?",
    "Loyalty": "Your loyalty",
}
CHINESE = {
    "IMAG1": "形象：值得信赖", "IMAG2": "形象：稳定且根基牢固", "IMAG3": "形象：对社会有贡献",
    "IMAG4": "形象：关心客户", "IMAG5": "形象：创新且有前瞻性",
    "CUEX1": "期望：对整体质量的期望", "CUEX2": "期望：满足个人需求的期望",
    "CUEX3": "期望：出错频率的期望",
    "PERQ1": "质量：整体质量", "PERQ2": "质量：网络质量", "PERQ3": "质量：客户服务与建议",
    "PERQ4": "质量：所用服务的质量", "PERQ5": "质量：服务和产品的范围",
    "PERQ6": "质量：可靠性", "PERQ7": "质量：信息的清晰度",
    "PERV1": "价值：相对质量的价格", "PERV2": "价值：相对价格的质量",
    "CUSA1": "满意度：总体满意度", "CUSA2": "满意度：满足期望的程度",
    "CUSA3": "满意度：与理想供应商相比", "CUSCO": "投诉：投诉的处理情况",
    "CUSL1": "忠诚度：会再次选择该供应商", "CUSL2": "忠诚度：可承受的涨价幅度",
    "CUSL3": "忠诚度：会推荐该供应商",
}
PINNED = (2024, 1, 1, 0, 0, 0)
SPEEDERS = (12, 77, 201)  # respondents (from 1) who answered far too fast
SHORT = {"IMAG": "形象", "CUEX": "期望", "PERQ": "质量", "PERV": "价值", "CUSA": "满意",
         "CUSCO": "投诉", "CUSL": "忠诚"}


def short_name(item: str) -> str:
    """The short Chinese column name of an item: 形象1, 期望2, 投诉, ..."""
    if item == "CUSCO":
        return SHORT[item]
    return SHORT[item[:4]] + item[4:]


def durations(n: int, seed: int) -> np.ndarray:
    """Completion times in seconds: lognormal around 7 minutes, kept above half the median,
    and the SPEEDERS' between 35 and 60 seconds."""
    rng = np.random.default_rng(seed)
    seconds = np.maximum(np.round(420 * np.exp(0.3 * rng.standard_normal(n))), 230)
    seconds[np.array(SPEEDERS) - 1] = rng.integers(35, 61, len(SPEEDERS))
    return seconds.astype(int)


def dont_know_cells(frame: pd.DataFrame) -> list[tuple[int, int]]:
    """The 24 (row, column) cells answered "don't know" in the Chinese exports."""
    rng = np.random.default_rng(4)
    cells = rng.choice(frame.size, size=24, replace=False)
    return [divmod(int(c), frame.shape[1]) for c in sorted(cells)]


def mobi() -> pd.DataFrame:
    return pd.read_csv(MOBI)


def qualtrics(frame: pd.DataFrame) -> None:
    n = len(frame)
    rng = np.random.default_rng(1)
    start = pd.Timestamp("2024-03-01 09:00:00") + pd.to_timedelta(
        rng.integers(0, 30 * 24 * 3600, n), unit="s")
    duration = durations(n, 10)
    meta = pd.DataFrame({
        "StartDate": start.strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": (start + pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "Status": "IP Address",
        "IPAddress": [f"192.0.2.{k % 250 + 1}" for k in range(n)],
        "Progress": 100,
        "Duration (in seconds)": duration,
        "Finished": "True",
        "RecordedDate": (start + pd.to_timedelta(duration, unit="s")).strftime(
            "%Y-%m-%d %H:%M:%S"),
        "ResponseId": [f"R_{k:04d}xQ{(k * 7919) % 10000:04d}" for k in range(n)],
    })
    comments = ["", "Good network, poor shop service", "Too expensive,\nbut reliable",
                'They said "call back later"', ""]
    body = pd.concat([meta, frame, pd.DataFrame(
        {"Q_comment": [comments[k % len(comments)] for k in range(n)]})], axis=1)
    text = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
            "Duration (in seconds)", "Finished", "Recorded Date", "Response ID"]
    text += [f"{QUESTIONS[c][0]}, on a scale of 1 to 10 - {QUESTIONS[c][1]}"
             for c in frame.columns]
    first = len(meta.columns)  # a question text with a line break, as Qualtrics allows
    text[first] = text[first].replace("1 to 10 - ", "1 to 10\n(1 = very poor) - ")
    text.append("Anything else you would like to tell us?")
    ids = [json.dumps({"ImportId": name}, separators=(",", ":")) for name in
           ["startDate", "endDate", "status", "ipAddress", "progress", "duration",
            "finished", "recordedDate", "_recordId"]]
    ids += [json.dumps({"ImportId": f"QID{k + 1}"}, separators=(",", ":"))
            for k in range(frame.shape[1] + 1)]
    header = pd.DataFrame([text, ids], columns=body.columns)
    out = io.StringIO()
    pd.concat([header, body.astype(object)]).to_csv(out, index=False, lineterminator="\r\n")
    (HERE / "qualtrics.csv").write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def surveymonkey(frame: pd.DataFrame) -> None:
    n = len(frame)
    top = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
           "Email Address", "First Name", "Last Name", "Custom Data 1"]
    second = [""] * len(top)
    columns, mapping = [], []
    seen_matrix = set()
    for item in frame.columns:
        block, question = QUESTIONS[item]
        if block in MATRIX:
            top.append("" if block in seen_matrix else MATRIX[block])
            seen_matrix.add(block)
            second.append(question)
            mapping.append((f"{MATRIX[block]} - {question}", item))
        else:
            top.append(question)
            second.append("Response")
            mapping.append((question, item))
        columns.append(item)
    rows = [top, second]
    for k in range(n):
        rows.append([str(11_800_000_000 + k * 37), "431234567", "03/01/2024 09:00:00 AM",
                     "03/01/2024 09:12:00 AM", "", "", "", "", ""]
                    + [str(v) for v in frame.iloc[k].tolist()])
    out = io.StringIO()
    pd.DataFrame(rows).to_csv(out, index=False, header=False, lineterminator="\r\n")
    (HERE / "surveymonkey.csv").write_text(out.getvalue(), encoding="utf-8", newline="")
    (HERE / "surveymonkey_map.csv").write_text(
        pd.DataFrame(mapping, columns=["column", "indicator"]).to_csv(index=False),
        encoding="utf-8")


def gb18030(frame: pd.DataFrame) -> None:
    cities = ["北京", "上海", "广州", "深圳", "成都"]
    chinese = frame.rename(columns=CHINESE)
    chinese.insert(0, "城市", [cities[k % len(cities)] for k in range(len(frame))])
    (HERE / "gb18030.csv").write_bytes(chinese.to_csv(index=False).encode("gb18030"))
    lines = ["# Chinese question text (column) -> indicator; two entries show the long form"]
    for item, text in CHINESE.items():
        if item in ("PERQ2", "CUSCO"):
            lines.append(f'"{text}": {{indicator: {item}, scale: "1:10"}}')
        else:
            lines.append(f'"{text}": {item}')
    (HERE / "gb18030_map.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def semicolon(frame: pd.DataFrame) -> None:
    regions = ["Île-de-France", "Provence-Alpes-Côte d'Azur", "Bretagne", "Rhône-Alpes"]
    halved = frame / 2
    halved.insert(0, "Région", [regions[k % len(regions)] for k in range(len(frame))])
    halved["poids"] = np.round(np.random.default_rng(2).uniform(0.5, 1.5, len(frame)), 3)
    text = halved.to_csv(index=False, sep=";", decimal=",", lineterminator="\r\n")
    (HERE / "semicolon.csv").write_bytes(text.encode("cp1252"))


def xlsx(frame: pd.DataFrame) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["ECSI mobile-phone survey (surveys/mobi.csv), for csi's tests"])
    notes.append(["The answers are on the sheet Responses."])
    sheet = book.create_sheet("Responses")
    sheet.append(["id", *frame.columns])
    for k, row in enumerate(frame.itertuples(index=False), start=1):
        sheet.append([k, *[int(v) for v in row]])
    book.properties.creator = "csi tests"
    book.properties.created = book.properties.modified = pd.Timestamp(
        "2024-01-01").to_pydatetime()
    buffer = io.BytesIO()
    book.save(buffer)
    _pin_zip(buffer.getvalue(), HERE / "survey.xlsx")


def _pin_zip(data: bytes, path: Path) -> None:
    """Rewrite a zip with pinned entry timestamps and document dates."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = content.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    start = text.find(f"<{tag}")
                    if start >= 0:
                        open_end = text.index(">", start) + 1
                        close = text.index(f"</{tag}>", open_end)
                        text = text[:open_end] + "2024-01-01T00:00:00Z" + text[close:]
                content = text.encode("utf-8")
            pinned = zipfile.ZipInfo(info.filename, date_time=PINNED)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(pinned, content)
    path.write_bytes(out.getvalue())


def sav(frame: pd.DataFrame) -> None:
    import pyreadstat

    rng = np.random.default_rng(3)
    coded = frame.astype(float)
    clean = frame.astype(float)
    cells = rng.choice(coded.size, size=30, replace=False)
    for position in cells:
        row, col = divmod(int(position), coded.shape[1])
        coded.iat[row, col] = 98.0 if position % 2 else 99.0
        clean.iat[row, col] = np.nan
    path = HERE / "survey.sav"
    pyreadstat.write_sav(
        coded, str(path),
        column_labels={c: f"{QUESTIONS[c][0]}: {QUESTIONS[c][1]}" for c in frame.columns},
        variable_value_labels={c: {98.0: "Don't know", 99.0: "Refused"}
                               for c in frame.columns},
        missing_ranges={c: [98.0, 99.0] for c in frame.columns},
    )
    data = bytearray(path.read_bytes())
    data[92:109] = b"01 Jan 2400:00:00"  # creation date (9 bytes) and time (8 bytes)
    path.write_bytes(bytes(data))
    clean.to_csv(HERE / "survey_sav_clean.csv", index=False)


def parquet(frame: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"respondent": pa.array([f"P{k:03d}" for k in range(1, len(frame) + 1)])}
    columns |= {c: pa.array(frame[c].to_numpy().astype(np.int8)) for c in frame.columns}
    pq.write_table(pa.table(columns), HERE / "survey.parquet")


def _with_text(frame: pd.DataFrame, answers: list[str]) -> pd.DataFrame:
    """The answers as text, with the "don't know" cells written as `answers` (in turn)."""
    text = frame.astype(str)
    for k, (row, column) in enumerate(dont_know_cells(frame)):
        text.iat[row, column] = answers[k % len(answers)]
    return text


def _starts(n: int, seed: int) -> pd.DatetimeIndex:
    rng = np.random.default_rng(seed)
    return pd.Timestamp("2024-03-01 08:00:00") + pd.to_timedelta(
        np.sort(rng.integers(0, 20 * 24 * 3600, n)), unit="s")


def chinese_clean(frame: pd.DataFrame) -> None:
    clean = frame.astype(float)
    for row, column in dont_know_cells(frame):
        clean.iat[row, column] = np.nan
    clean.to_csv(HERE / "chinese_clean.csv", index=False)
    pd.DataFrame({"column": [short_name(c) for c in frame.columns],
                  "indicator": list(frame.columns)}).to_csv(HERE / "chinese_map.csv",
                                                            index=False)


def wenjuanxing(frame: pd.DataFrame) -> None:
    n = len(frame)
    seconds = durations(n, 11)
    submitted = _starts(n, 12) + pd.to_timedelta(seconds, unit="s")
    meta = pd.DataFrame({
        "序号": np.arange(1, n + 1),
        "提交答卷时间": [f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}:{t.second:02d}"
                   for t in submitted],
        "所用时间": [f"{s}秒" for s in seconds],
        "来源": ["手机提交" if k % 3 else "链接" for k in range(n)],
        "来源详情": ["直接访问"] * n,
        "来自IP": [f"192.0.2.{k % 250 + 1}(广东-深圳)" for k in range(n)],
    })
    answers = _with_text(frame, ["不知道"])
    answers.columns = [short_name(c) for c in frame.columns]
    body = pd.concat([meta.astype(str), answers], axis=1)
    questions = [""] * 2 + ["", "", "", ""] + [CHINESE[c] for c in frame.columns]
    table = pd.concat([pd.DataFrame([questions], columns=body.columns), body])
    text = table.to_csv(index=False, lineterminator="\r\n")
    (HERE / "wenjuanxing.csv").write_bytes(text.encode("gb18030"))


def tencent(frame: pd.DataFrame) -> None:
    import openpyxl

    n = len(frame)
    seconds = durations(n, 13)
    start = _starts(n, 14)
    end = start + pd.to_timedelta(seconds, unit="s")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "答卷数据"
    sheet.append(["编号", "开始答题时间", "结束答题时间", "答题时长", "渠道",
                  *[short_name(c) for c in frame.columns]])
    sheet.append(["", "", "", "", "", *[CHINESE[c] for c in frame.columns]])
    answers = _with_text(frame, ["不知道"])
    for k in range(n):
        cells = [v if v == "不知道" else int(v) for v in answers.iloc[k].tolist()]
        sheet.append([f"{1000 + k}", start[k].to_pydatetime(), end[k].to_pydatetime(),
                      f"{seconds[k] // 60}分{seconds[k] % 60}秒", "微信", *cells])
    book.properties.creator = "csi tests"
    book.properties.created = book.properties.modified = pd.Timestamp(
        "2024-01-01").to_pydatetime()
    buffer = io.BytesIO()
    book.save(buffer)
    _pin_zip(buffer.getvalue(), HERE / "tencent.xlsx")


def credamo(frame: pd.DataFrame) -> None:
    n = len(frame)
    seconds = durations(n, 15)
    start = _starts(n, 16)
    meta = pd.DataFrame({
        "答卷编号": [f"CR{20240000 + 7 * k}" for k in range(n)],
        "开始时间": start.strftime("%Y-%m-%d %H:%M:%S"),
        "提交时间": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "作答时长(秒)": seconds,
        "IP": [f"198.51.100.{k % 250 + 1}" for k in range(n)],
    })
    answers = _with_text(frame, [" 不知道 ", "拒绝回答"])
    answers.columns = [short_name(c) for c in frame.columns]
    body = pd.concat([meta.astype(str), answers], axis=1)
    rows = [["答卷编号", "", "", "", ""] + [CHINESE[c] for c in frame.columns],
            [""] * 5 + [f"Q{k + 1}" for k in range(frame.shape[1])]]
    table = pd.concat([pd.DataFrame(rows, columns=body.columns), body])
    text = table.to_csv(index=False, lineterminator="\n")
    (HERE / "credamo.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def merged(frame: pd.DataFrame) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    top, second, mapping = ["ID"], [None], []
    spans = []  # (first column, last column) of each construct, 1-based
    for item in frame.columns:
        block, question = QUESTIONS[item]
        column = len(top) + 1
        if spans and top[spans[-1][0] - 1] == block:
            top.append(None)
            spans[-1] = (spans[-1][0], column)
        else:
            top.append(block)
            spans.append((column, column))
        second.append(question)
    for first, last in spans:
        if first == last:  # a single-item question: its name merged down, no sub-question
            second[first - 1] = None
            mapping.append((top[first - 1], frame.columns[first - 2]))
        else:
            for column in range(first, last + 1):
                mapping.append((f"{top[first - 1]} - {second[column - 1]}",
                                frame.columns[column - 2]))
    sheet.append(top)
    sheet.append(second)
    for k, row in enumerate(frame.itertuples(index=False), start=1):
        sheet.append([f"M{k:03d}", *[int(v) for v in row]])
    sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=1)
    for first, last in spans:
        if first == last:
            sheet.merge_cells(start_row=1, start_column=first, end_row=2, end_column=first)
        else:
            sheet.merge_cells(start_row=1, start_column=first, end_row=1, end_column=last)
    book.properties.creator = "csi tests"
    book.properties.created = book.properties.modified = pd.Timestamp(
        "2024-01-01").to_pydatetime()
    buffer = io.BytesIO()
    book.save(buffer)
    _pin_zip(buffer.getvalue(), HERE / "merged.xlsx")
    pd.DataFrame(mapping, columns=["column", "indicator"]).to_csv(HERE / "merged_map.csv",
                                                                 index=False)


def main() -> None:
    frame = mobi()
    qualtrics(frame)
    surveymonkey(frame)
    gb18030(frame)
    semicolon(frame)
    xlsx(frame)
    sav(frame)
    parquet(frame)
    chinese_clean(frame)
    wenjuanxing(frame)
    tencent(frame)
    credamo(frame)
    merged(frame)


if __name__ == "__main__":
    main()
