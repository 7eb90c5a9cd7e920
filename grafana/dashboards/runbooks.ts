// The runbooks (docs/runbooks.md) inside Grafana: one text panel per section, so each alert
// rule's runbook_url opens its section in whatever Grafana the dashboards are imported into
// (there is no other address every team's Grafana can reach). Generated from the file: edit it.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as text from '@grafana/grafana-foundation-sdk/text';

export const RUNBOOKS_UID = 'virt-overhead-runbooks';

export interface RunbookSection {
  title: string;
  /** GitHub's anchor of the heading: docs/runbooks.md#<anchor>. */
  anchor: string;
  body: string;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The `## ` sections of the runbooks file, in order. */
export function runbookSections(markdown: string): RunbookSection[] {
  return markdown
    .split(/^## /m)
    .slice(1)
    .map((chunk) => {
      const [title, ...rest] = chunk.split('\n');
      return { title: title!.trim(), anchor: anchorOf(title!.trim()), body: rest.join('\n').trim() };
    });
}

/** Panel ids follow the sections: section i is panel i + 1 (generate.ts numbers panels in order). */
export function runbookPanelId(sections: RunbookSection[], title: string): number {
  const i = sections.findIndex((s) => s.title === title);
  if (i < 0) throw new Error(`docs/runbooks.md has no section '## ${title}'`);
  return i + 1;
}

export function runbooksDashboard(markdown: string): dashboard.DashboardBuilder {
  const builder = new dashboard.DashboardBuilder('virt-overhead: Runbooks')
    .uid(RUNBOOKS_UID)
    .tags(['virt-overhead'])
    .description('What to do when a virt-overhead alert fires (docs/runbooks.md). Each alert links to its panel here.')
    .editable();
  for (const s of runbookSections(markdown)) {
    builder.withPanel(new text.PanelBuilder().title(s.title).mode(text.TextMode.Markdown).content(s.body).height(12).span(24));
  }
  return builder;
}
