//! TOML files (config, register) as an owned tree where every key and value keeps its byte span,
//! so errors and findings point at the exact key in the file.

use std::ops::Range;

#[derive(Debug, Clone)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// Dates and times, as written (`2027-03-31`).
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub entries: Vec<Entry>,
}

/// A located problem in a TOML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlError {
    pub span: Range<usize>,
    pub message: String,
}

impl TomlError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        TomlError {
            span,
            message: message.into(),
        }
    }
}

pub fn parse(text: &str) -> Result<Node, TomlError> {
    let table = toml::de::DeTable::parse(text).map_err(|e| {
        TomlError::new(
            e.span().unwrap_or(0..0),
            format!("not valid TOML: {}", e.message().trim()),
        )
    })?;
    let span = table.span();
    Ok(Node {
        span,
        value: Value::Table(convert_table(table.get_ref())),
    })
}

fn convert_table(table: &toml::de::DeTable) -> Table {
    Table {
        entries: table
            .iter()
            .map(|(k, v)| Entry {
                key: k.get_ref().to_string(),
                key_span: k.span(),
                node: convert(v),
            })
            .collect(),
    }
}

fn convert(value: &toml::Spanned<toml::de::DeValue>) -> Node {
    use toml::de::DeValue as D;
    let v = match value.get_ref() {
        D::String(s) => Value::String(s.to_string()),
        D::Integer(i) => Value::Integer(
            i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).unwrap_or(i64::MAX),
        ),
        D::Float(f) => Value::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        D::Boolean(b) => Value::Boolean(*b),
        D::Datetime(d) => Value::Datetime(d.to_string()),
        D::Array(a) => Value::Array(a.iter().map(convert).collect()),
        D::Table(t) => Value::Table(convert_table(t)),
    };
    Node {
        span: value.span(),
        value: v,
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

impl Node {
    pub fn as_table(&self, what: &str) -> Result<&Table, TomlError> {
        match &self.value {
            Value::Table(t) => Ok(t),
            other => Err(self.wrong(what, "a table", other)),
        }
    }

    pub fn as_str(&self, what: &str) -> Result<&str, TomlError> {
        match &self.value {
            Value::String(s) => Ok(s),
            other => Err(self.wrong(what, "a string", other)),
        }
    }

    /// A string or a TOML date, as text (`review-by = 2027-01-31` or `"2027-01-31"`).
    pub fn as_date_text(&self, what: &str) -> Result<&str, TomlError> {
        match &self.value {
            Value::String(s) | Value::Datetime(s) => Ok(s),
            other => Err(self.wrong(what, "a date (YYYY-MM-DD)", other)),
        }
    }

    pub fn as_integer(&self, what: &str) -> Result<i64, TomlError> {
        match &self.value {
            Value::Integer(i) => Ok(*i),
            other => Err(self.wrong(what, "an integer", other)),
        }
    }

    pub fn as_array(&self, what: &str) -> Result<&[Node], TomlError> {
        match &self.value {
            Value::Array(a) => Ok(a),
            other => Err(self.wrong(what, "an array", other)),
        }
    }

    /// An array of strings, with each string's span.
    pub fn as_str_list(&self, what: &str) -> Result<Vec<(String, Range<usize>)>, TomlError> {
        self.as_array(what)?
            .iter()
            .map(|n| Ok((n.as_str(what)?.to_string(), n.span.clone())))
            .collect()
    }

    fn wrong(&self, what: &str, expected: &str, found: &Value) -> TomlError {
        TomlError::new(
            self.span.clone(),
            format!("`{what}` must be {expected}, found {}", found.type_name()),
        )
    }
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// Error on the first key not in `known`, with a suggestion.
    pub fn deny_unknown(&self, context: &str, known: &[&str]) -> Result<(), TomlError> {
        for e in &self.entries {
            if !known.contains(&e.key.as_str()) {
                let hint = crate::util::closest(known.iter().copied(), &e.key)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(TomlError::new(
                    e.key_span.clone(),
                    format!(
                        "unknown key `{}` in {context}{hint} (known: {})",
                        e.key,
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A TOML basic string holding `s`: quotes, backslashes and every control character escaped
/// (what sfpolicy writes into `integrations.toml` and `sfpolicy.toml`).
pub fn quote(s: &str) -> String {
    use std::fmt::Write;
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML array of basic strings.
pub fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_read_back_as_written() {
        let values = [
            "plain".to_string(),
            "quote \" and back\\slash".to_string(),
            "tab\tnew\nline\u{7f}\u{9b}\u{1b}[31m".to_string(),
        ];
        let text = format!("a = {}\nb = {}\n", quote(&values[2]), quote_list(&values));
        let root = parse(&text).unwrap();
        let top = root.as_table("t").unwrap();
        assert_eq!(top.get("a").unwrap().node.as_str("a").unwrap(), values[2]);
        let list: Vec<String> = top
            .get("b")
            .unwrap()
            .node
            .as_str_list("b")
            .unwrap()
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        assert_eq!(list, values);
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
    }

    #[test]
    fn keeps_key_and_value_spans() {
        let text = "edition = \"enterprise\"\n\n[[integration]]\nsystem = \"Talkdesk\"\nobjects = [\"Lead\", \"Task\"]\n";
        let root = parse(text).unwrap();
        let t = root.as_table("root").unwrap();
        let e = t.get("edition").unwrap();
        assert_eq!(&text[e.key_span.clone()], "edition");
        assert_eq!(e.node.as_str("edition").unwrap(), "enterprise");
        let list = t
            .get("integration")
            .unwrap()
            .node
            .as_array("integration")
            .unwrap();
        let entry = list[0].as_table("integration").unwrap();
        let system = entry.get("system").unwrap();
        assert_eq!(&text[system.key_span.clone()], "system");
        let objects = entry
            .get("objects")
            .unwrap()
            .node
            .as_str_list("objects")
            .unwrap();
        assert_eq!(objects[1].0, "Task");
        assert_eq!(&text[objects[1].1.clone()], "\"Task\"");
    }

    #[test]
    fn errors_are_located() {
        let e = parse("a = \n").unwrap_err();
        assert!(e.message.contains("not valid TOML"), "{}", e.message);
        let root = parse("[rules]\nconected = 1\n").unwrap();
        let rules = root.as_table("root").unwrap().get("rules").unwrap();
        let err = rules
            .node
            .as_table("rules")
            .unwrap()
            .deny_unknown("[rules]", &["connected"])
            .unwrap_err();
        assert_eq!(err.span, 8..16);
        assert!(err.message.contains("did you mean `connected`"));
    }
}
