//! The colours of the human outputs; plain when colour is off.

use console::Style;

/// One style per role; each renders plain text when colour is off.
pub(crate) struct Styles {
    pub bold: Style,
    pub dim: Style,
    pub red: Style,
    pub yellow: Style,
    pub green: Style,
    pub cyan: Style,
}

impl Styles {
    pub(crate) fn new(color: bool) -> Self {
        let s = |style: Style| style.force_styling(color);
        Self {
            bold: s(Style::new().bold()),
            dim: s(Style::new().dim()),
            red: s(Style::new().red().bold()),
            yellow: s(Style::new().yellow().bold()),
            green: s(Style::new().green().bold()),
            cyan: s(Style::new().cyan()),
        }
    }
}
