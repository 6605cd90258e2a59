"""Letters: the notice as a printable PDF (fpdf2, core Helvetica), queued for the daily print.

Helvetica covers Latin-1, which holds every French letter used in our notices (é, è, à, ç, ô,
«, »…); the few typographic characters outside it are mapped to their plain forms rather than
dropped, so a bundled font is not needed.
"""

from __future__ import annotations

from engine.delivery.channels import Envelope, Result, sent

PLAIN = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u0153": "oe", "\u0152": "OE", "\u2026": "...", "\u202f": " "}
)  # fmt: skip


def latin1(text: str) -> str:
    return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")


class LetterChannel:
    name = "letter"

    def __init__(self, office_line: str = "") -> None:
        self.office_line = office_line

    def send(self, envelope: Envelope) -> Result:
        return sent("print-queue", pdf=render_letter(envelope))

    def close(self) -> None:
        """Nothing is held open."""


def render_letter(envelope: Envelope) -> bytes:
    from fpdf import FPDF  # 0.2 s of imports: only when a letter is written, not at start-up

    pdf = FPDF(format="Letter")
    pdf.set_title(latin1(envelope.subject))
    pdf.set_lang(envelope.language)
    pdf.set_margins(25, 25, 25)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in [envelope.name, *envelope.to.splitlines()]:
        pdf.cell(0, 6, latin1(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("Helvetica", style="B", size=12)
    pdf.multi_cell(0, 7, latin1(envelope.subject), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, latin1(envelope.body), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", size=8)
    pdf.cell(0, 5, latin1(f"Ref. {envelope.key}"))
    return bytes(pdf.output())
