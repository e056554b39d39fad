"""The PDF of an invoice or credit note, drawn with ReportLab from the document's fixed data.

ReportLab, not WeasyPrint: it is pure Python wheels, where WeasyPrint needs Pango and its fonts in the runtime image.
ReportLab's built-in fonts are Latin-1 only, so the text is set in a TrueType font embedded in the file
(settings.INVOICE_FONT, DejaVu Sans by default: Debian's fonts-dejavu-core), which covers ₦ ₵ ₹ € and the
rest; a font that is missing, or lacks the shop's currency sign, is an error that says so, never a PDF with
empty boxes where the money is.
"""
import io
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from commerce.money import decimals

SIGNS = {"NGN": "₦", "GHS": "₵", "INR": "₹", "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "KES": "KSh ",
         "ZAR": "R ", "PLN": "zł ", "CAD": "CA$", "AUD": "A$", "CHF": "CHF "}
TITLES = {"INVOICE": "Invoice", "CREDIT_NOTE": "Credit note"}


@cache
def fonts() -> tuple[str, str]:
    """The regular and bold font names, registered once per process from INVOICE_FONT and INVOICE_FONT_BOLD."""
    names = []
    for setting, name in (("INVOICE_FONT", "InvoiceSans"), ("INVOICE_FONT_BOLD", "InvoiceSans-Bold")):
        path = getattr(settings, setting)
        if not Path(path).is_file():
            raise ImproperlyConfigured(f"{setting} ({path}) is missing: invoices need a TrueType font that covers the "
                                       "shop's currency signs (apt-get install fonts-dejavu-core).")
        pdfmetrics.registerFont(TTFont(name, path))
        names.append(name)
    return names[0], names[1]


def _check_covers(text: str) -> None:
    font = pdfmetrics.getFont(fonts()[0])
    missing = {char for char in text if ord(char) > 126 and ord(char) not in font.face.charToGlyph}
    if missing:
        raise ImproperlyConfigured(f"INVOICE_FONT has no glyph for {' '.join(sorted(missing))}: set a font that has.")


def money(amount: str, currency: str) -> str:
    """-₦1,234.50: the currency's sign (its code where it has none here), grouped, to its minor unit."""
    value = Decimal(amount)
    sign = SIGNS.get(currency, f"{currency} ")
    return f"{'-' if value < 0 else ''}{sign}{abs(value):,.{decimals(currency)}f}"


def render(number: str, kind: str, issued: str, data: dict) -> bytes:
    regular, bold = fonts()
    currency = data["currency"]
    _check_covers(SIGNS.get(currency, ""))
    text = ParagraphStyle("text", fontName=regular, fontSize=9, leading=12)
    heading = ParagraphStyle("heading", parent=text, fontName=bold, fontSize=16, leading=20)

    def para(value: str, style=text) -> Paragraph:
        return Paragraph(escape(value).replace("\n", "<br/>"), style)

    def block(title: str, lines: list[str]) -> Paragraph:
        return para("\n".join([title, *[line for line in lines if line]]))

    seller, buyer = data["seller"], data["buyer"]
    meta = [f"Number: {number}", f"Date: {issued}", f"Order: #{data['order_number']} of {data['order_date']}",
            f"Currency: {currency}"]
    if data.get("refers_to"):
        meta.append(f"Credits invoice: {data['refers_to']}")
    story = [
        para(f"{TITLES[kind]} {number}", heading), Spacer(0, 4 * mm),
        Table([[block(seller["name"], [*seller["address"], seller["email"],
                                       seller["tax_id"] and f"Tax ID: {seller['tax_id']}"]),
                block("Bill to", [buyer["name"], *buyer["address"], buyer["email"]]),
                block("", meta)]], colWidths=[60 * mm, 60 * mm, 60 * mm],
              style=[("VALIGN", (0, 0), (-1, -1), "TOP")]),
        Spacer(0, 6 * mm),
    ]
    rows = [["Item", "SKU", "Qty", "Unit price", "Amount"]] + [
        [para(line["description"]), line["sku"], str(line["quantity"]), money(line["unit_price"], currency),
         money(line["total"], currency)] for line in data["lines"]]
    story += [_table(rows, [75 * mm, 30 * mm, 15 * mm, 30 * mm, 30 * mm], regular, bold, header=True),
              Spacer(0, 4 * mm)]
    totals = [["Subtotal", money(data["subtotal"], currency)]]
    if Decimal(data["discount"]):
        totals.append(["Discount", money(str(-Decimal(data["discount"])), currency)])
    if Decimal(data["shipping"]) or data["shipping_method"]:
        totals.append([f"Shipping ({data['shipping_method']})" if data["shipping_method"] else "Shipping",
                       money(data["shipping"], currency)])
    for tax in data["taxes"]:
        totals.append([f"Tax {tax['rate']} on {money(tax['base'], currency)}", money(tax["tax"], currency)])
    totals.append(["Total", money(data["total"], currency)])
    story += [_table(totals, [150 * mm, 30 * mm], regular, bold, last_bold=True), Spacer(0, 6 * mm)]
    pay = data["payment"]
    story.append(block("Payment", [pay["gateway"] and f"Paid with {pay['gateway']}",
                                   pay["reference"] and f"Reference: {pay['reference']}",
                                   f"Status: {pay['status'].replace('_', ' ').lower()}"]))
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"{TITLES[kind]} {number}", author=seller["name"],
                      leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm).build(story)
    return out.getvalue()


def _table(rows, widths, regular: str, bold: str, *, header: bool = False, last_bold: bool = False) -> Table:
    style = [("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 9),
             ("ALIGN", (-1, 0), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style += [("FONTNAME", (0, 0), (-1, 0), bold), ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                  ("ALIGN", (2, 0), (-1, -1), "RIGHT")]
    if last_bold:
        style += [("FONTNAME", (0, -1), (-1, -1), bold), ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
                  ("ALIGN", (0, 0), (-1, -1), "RIGHT")]
    return Table(rows, colWidths=widths, style=TableStyle(style), repeatRows=1 if header else 0)
