//! Renderers over the review model: templates in `templates/` (minijinja,
//! embedded in the binary). The `.html` and `.xml` templates escape every
//! value by default; the filters here only colour, escape Markdown and keep
//! XML well-formed.

use std::str::FromStr;

use minijinja::value::{Serde, Value};
use minijinja::{Environment, context};

use super::Review;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Html,
    Json,
    Junit,
}

impl Format {
    pub const NAMES: [&str; 5] = ["text", "markdown", "html", "json", "junit"];

    fn template(self) -> Option<&'static str> {
        match self {
            Format::Text => Some("review.txt"),
            Format::Markdown => Some("review.md"),
            Format::Html => Some("review.html"),
            Format::Junit => Some("review.junit.xml"),
            Format::Json => None,
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "markdown" | "md" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            "junit" => Ok(Format::Junit),
            _ => Err(format!(
                "unknown format `{s}` (expected {})",
                Format::NAMES.join(", ")
            )),
        }
    }
}

const TEMPLATES: [(&str, &str); 4] = [
    ("review.txt", include_str!("../../templates/review.txt")),
    ("review.md", include_str!("../../templates/review.md")),
    ("review.html", include_str!("../../templates/review.html")),
    (
        "review.junit.xml",
        include_str!("../../templates/review.junit.xml"),
    ),
];

/// Render `review` as `format`; `color` adds ANSI colours to text.
pub fn render(review: &Review, format: Format, color: bool) -> Result<String> {
    let Some(name) = format.template() else {
        let mut json = serde_json::to_string_pretty(review).expect("plain data serialises");
        json.push('\n');
        return Ok(json);
    };
    let failed = |e: minijinja::Error| Error::Render {
        template: name.to_string(),
        message: format!("{e:#}"),
    };
    let env = environment(color).map_err(failed)?;
    env.get_template(name)
        .and_then(|t| t.render(context! { review => Value::from(Serde(review)) }))
        .map_err(failed)
}

fn environment(color: bool) -> std::result::Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()?,
    );
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)?;
    }
    env.add_filter("paint", move |text: String, style: String| {
        paint(&text, &style, color)
    });
    env.add_filter("md", md);
    env.add_filter("code", code);
    env.add_filter("fence", fence);
    env.add_filter("xml", xml);
    Ok(env)
}

/// Wrap `text` in the ANSI colour of `style` when colour is on.
fn paint(text: &str, style: &str, color: bool) -> String {
    let code = match style {
        "added" | "ok" => "32",
        "removed" | "error" => "31",
        "hunk" => "36",
        "warning" => "33",
        "bold" => "1",
        "dim" => "2",
        _ => "",
    };
    if !color || code.is_empty() || text.is_empty() {
        text.to_string()
    } else {
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

/// Markdown text that renders as the characters it holds: HTML and
/// Markdown punctuation escaped, line breaks folded.
fn md(text: String) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// An inline code span holding `text` verbatim, whatever backticks it has.
fn code(text: String) -> String {
    let text = text.replace(['\n', '\r'], " ");
    let fence = "`".repeat(longest_backtick_run(&text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// A code fence longer than any backtick run in the `text` of `lines`.
fn fence(lines: Value) -> std::result::Result<String, minijinja::Error> {
    let mut longest = 0;
    for line in lines.try_iter()? {
        if let Some(text) = line.get_attr("text")?.as_str() {
            longest = longest.max(longest_backtick_run(text));
        }
    }
    Ok("`".repeat((longest + 1).max(3)))
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Drop the characters XML 1.0 does not allow (control characters), which
/// escaping cannot make well-formed.
fn xml(text: String) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_text_cannot_open_html_or_code() {
        assert_eq!(
            md("<script>alert(1)</script> `x` *y*".into()),
            "&lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` \\*y\\*"
        );
        assert_eq!(code("a`b".into()), "``a`b``");
        assert_eq!(code("`".into()), "`` ` ``");
    }

    #[test]
    fn xml_drops_control_characters() {
        assert_eq!(xml("a\u{1b}[31mb\tc".into()), "a[31mb\tc");
    }
}
