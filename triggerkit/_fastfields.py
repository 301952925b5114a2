"""One pass over a cron field in its common forms, straight to a bitmask.

The forms: ``*``, ``n``, ``a-b``, ``*/n``, ``a/n``, ``a-b/n`` and comma lists of them, with the
field's names (``jan``, ``mon``, any case). Both parsers (the dialects of
:mod:`triggerkit._dialects` and the APScheduler-compatible fields of
:mod:`triggerkit.triggers.cron`) try this first and keep their general parsers for the rest.

It is deliberately narrow: whatever it does not read with certainty (another form, a value out
of range, an inverted range, a step that leaves a single value or exceeds the field, a name
mixed with a number, a number spelled with more than two digits, text outside ASCII) gives
``None``, and the caller's general parser decides, with its own messages and warnings. So an
expression it accepts is one every dialect accepts without a remark, and its mask is the one
the general parser builds (a differential test holds them equal).
"""

from __future__ import annotations

__all__ = ["Atoms", "field_bounds", "field_mask", "stepped"]

# Steps as people write them; a longer one (only a year's can be valid) takes the general path.
_STEPS = {str(v): v for v in range(1, 100)} | {f"0{v}": v for v in range(1, 10)}


class Atoms:
    """The values of one field: its limits, its numbers as written and its names.

    :param lo: the smallest value
    :param hi: the largest value
    :param names: lower-case names of consecutive values, the first meaning ``first_name``
    :param first_name: the value of ``names[0]``

    :attr:`quick` maps the commonest whole fields straight to their masks: ``'*'``, one
    number as text (``'7'``, ``'07'``) or as an ``int``.
    """

    __slots__ = ("lo", "hi", "numbers", "names", "quick", "full")

    def __init__(self, lo: int, hi: int, names: tuple[str, ...] = (), first_name: int = 0) -> None:
        self.lo = lo
        self.hi = hi
        # Numbers as people write them ('7', '07'): a field of at most 64 values
        small = range(lo, hi + 1) if hi < 64 else range(0)
        self.numbers = {str(v): v for v in small} | {f"{v:02d}": v for v in small if v < 10}
        self.names = {name: first_name + i for i, name in enumerate(names)}
        self.full = stepped(lo, hi, 1)
        self.quick: dict[str | int, int] = {}
        if small:  # a field with a mask (not the year)
            self.quick["*"] = self.full
            self.quick.update({text: 1 << v for text, v in self.numbers.items()})
            self.quick.update({v: 1 << v for v in small})

    def value(self, text: str) -> tuple[int, bool] | None:
        """Return ``(value, is_name)`` of one number (any length) or name, or ``None``."""
        value = self.numbers.get(text)
        if value is not None:
            return value, False
        if text.isdigit() and text.isascii() and len(text) <= 9:
            value = int(text)
            return (value, False) if self.lo <= value <= self.hi else None
        value = self.names.get(text.lower())
        return None if value is None else (value, True)


def stepped(first: int, last: int, step: int) -> int:
    """Return the mask of ``first``, ``first + step``, ... up to ``last`` (no loop)."""
    if step == 1:
        return ((2 << last) - 1) ^ ((1 << first) - 1)
    count = (last - first) // step + 1
    # 1 + 2**step + 2**(2 * step) + ... (count terms), shifted to first
    return ((1 << step * count) - 1) // ((1 << step) - 1) << first


def field_mask(text: str, atoms: Atoms) -> int | None:
    """Return the mask of a field ``text`` in the common forms, or ``None``."""
    quick = atoms.quick.get(text)
    if quick is not None:
        return quick
    numbers = atoms.numbers
    mask = 0
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            step = _STEPS.get(step_text, 0)
            if not step:
                return None
        if base == "*":
            first, last = atoms.lo, atoms.hi
        else:
            a, dash, b = base.partition("-")
            table = numbers
            found = numbers.get(a)
            if found is None:
                table = atoms.names
                found = table.get(a.lower())
                if found is None:
                    return None
            first = found
            if dash:  # a number with a number, a name with a name; never inverted
                other = table.get(b if table is numbers else b.lower())
                if other is None or other < first:
                    return None
                last = other
            elif slash:
                last = atoms.hi  # 'a/n': from a to the field's maximum
            else:
                mask |= 1 << first
                continue
        # a step must leave two values at least: one alone is warned about or refused
        if slash and first + step > last:
            return None
        mask |= stepped(first, last, step)
    return mask


def _bounds(item: str, atoms: Atoms) -> tuple[int, int, int] | None:
    """Return ``(first, last, step)`` of one list item, or ``None`` (as :func:`field_mask`)."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not (step_text.isdigit() and step_text.isascii() and len(step_text) <= 9):
            return None
        step = int(step_text)
        if not step:
            return None
    if base == "*":
        first, last = atoms.lo, atoms.hi
    else:
        a, dash, b = base.partition("-")
        found = atoms.value(a)
        if found is None:
            return None
        first = found[0]
        if dash:
            other = atoms.value(b)
            if other is None or other[1] is not found[1] or other[0] < first:
                return None
            last = other[0]
        elif slash:
            last = atoms.hi
        else:
            return first, first, 1
    if slash and first + step > last:
        return None
    return first, last, step


def field_bounds(text: str, atoms: Atoms) -> tuple[tuple[int, int, int], ...] | None:
    """Return ``(first, last, step)`` of each item of ``text``, in order, or ``None``.

    For a field too wide for a mask (the year); numbers of any length are read.
    """
    out = []
    for item in text.split(","):
        bounds = _bounds(item, atoms)
        if bounds is None:
            return None
        out.append(bounds)
    return tuple(out)
