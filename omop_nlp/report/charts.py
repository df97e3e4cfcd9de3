"""The over-time charts, drawn by plotly and embedded with plotly.js inline (no network)."""

from __future__ import annotations

from omop_nlp.report.summary import MIXED, NO_MENTION, Summary

STATES = ("progression", "stable", "improvement", MIXED, NO_MENTION)
STATE_COLORS = {"progression": "#d62728", "stable": "#1f77b4", "improvement": "#2ca02c", MIXED: "#9467bd",
                NO_MENTION: "#aaaaaa"}  # fmt: skip
MAX_STEPS = 8  # Sankey columns: the first examinations of each patient
MAX_TIMELINES = 40  # timeline rows: patients x diagnoses with the most examinations


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _html(fig, div_id: str) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})  # fmt: skip


def sankey_html(summary: Summary) -> str | None:
    """Episode transitions between consecutive brain MRIs of one patient and diagnosis."""
    import plotly.graph_objects as go

    flows = {k: n for k, n in summary.transitions().items() if k[0] < MAX_STEPS}
    if not flows:
        return None
    nodes: dict[tuple[int, str], int] = {}
    for step, before, after in sorted(flows, key=lambda k: (k[0], STATES.index(k[1]), STATES.index(k[2]))):
        nodes.setdefault((step, before), len(nodes))
        nodes.setdefault((step + 1, after), len(nodes))
    source, target, value = [], [], []
    for (step, before, after), n in flows.items():
        source.append(nodes[(step, before)])
        target.append(nodes[(step + 1, after)])
        value.append(n)
    x, y = _node_positions(list(nodes), source, target, value)
    fig = go.Figure(go.Sankey(
        arrangement="snap",  # columns are examinations, rows states in a fixed order
        node={"label": [f"exam {step + 1}: {state}" for step, state in nodes],
              "color": [STATE_COLORS[state] for _, state in nodes], "pad": 12, "x": x, "y": y},
        link={"source": source, "target": target, "value": value},
    ))  # fmt: skip
    fig.update_layout(title="Episode transitions between consecutive brain MRIs (patients x diagnosis)",
                      height=460, margin={"l": 10, "r": 10, "t": 40, "b": 10})  # fmt: skip
    return _html(fig, "sankey")


def _node_positions(nodes: list[tuple[int, str]], source: list[int], target: list[int], value: list[int],
                    ) -> tuple[list[float], list[float]]:  # fmt: skip
    """Centres of the Sankey nodes: a column per examination, stacked in ``STATES`` order by size."""
    inflow, outflow = [0] * len(nodes), [0] * len(nodes)
    for s, t, v in zip(source, target, value, strict=True):
        outflow[s] += v
        inflow[t] += v
    size = [max(i, o) for i, o in zip(inflow, outflow, strict=True)]
    last = max(step for step, _ in nodes) or 1
    x, y = [0.0] * len(nodes), [0.0] * len(nodes)
    for step in {step for step, _ in nodes}:
        column = sorted((i for i, n in enumerate(nodes) if n[0] == step), key=lambda i: STATES.index(nodes[i][1]))
        total = sum(size[i] for i in column)
        gap = 0.04 * total
        span = total + gap * (len(column) - 1)
        top = 0.0
        for i in column:
            x[i] = 0.001 + 0.998 * step / last
            y[i] = 0.001 + 0.998 * (top + size[i] / 2) / span
            top += size[i] + gap
    return x, y


def timeline_html(summary: Summary) -> str | None:
    """Per patient and malignant diagnosis, the state of each brain MRI along the note dates."""
    import plotly.graph_objects as go

    sequences = sorted(summary.sequences().items(), key=lambda item: (-len(item[1]), item[0]))[:MAX_TIMELINES]
    if not sequences:
        return None
    fig = go.Figure()
    for (person_id, diagnosis), exams in sequences:
        fig.add_trace(go.Scatter(x=[e.day.isoformat() for e, _ in exams], showlegend=False, hoverinfo="skip",
                                 y=[f"person {person_id} · {diagnosis}"] * len(exams), mode="lines",
                                 line={"color": "#cccccc", "width": 1}))  # fmt: skip
    for state in STATES:
        xs, ys, ids = [], [], []
        for (person_id, diagnosis), exams in sequences:
            for exam, exam_state in exams:
                if exam_state == state:
                    xs.append(exam.day.isoformat())
                    ys.append(f"person {person_id} · {diagnosis}")
                    ids.append(exam.note_id)
        if xs:
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=state, text=ids,
                                     hovertemplate="%{y}<br>%{x}: " + state + "<br>note %{text}<extra></extra>",
                                     marker={"size": 13, "color": STATE_COLORS[state]}))  # fmt: skip
    fig.update_layout(title="Brain MRI episodes per patient and diagnosis", height=120 + 28 * len(sequences),
                      margin={"l": 10, "r": 10, "t": 40, "b": 10}, yaxis={"autorange": "reversed"})  # fmt: skip
    return _html(fig, "timeline")
