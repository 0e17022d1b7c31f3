//! A small lexer for Salesforce formulas that finds the references security policies care about:
//! identity globals (`$User.Username`, `$Profile.Name`, `$UserRole.Name`), bypass switches
//! (`$Permission.X`, `$Setup.X__c.Y__c`, `$CustomMetadata...`), `$Organization`, and hard-coded
//! user / profile / role ids inside string literals.
//!
//! The input is XML-decoded formula text. Comments (`/* ... */`) and string literals are lexed
//! properly, so a global mentioned in a comment or quoted in a string is not a reference. Flow
//! merge syntax (`{!$User.Id}`) and Process Builder brackets (`[Case].Field`) need no special
//! handling: braces and brackets are plain punctuation. The scan is a single pass over the bytes
//! and allocates only for the references it returns.

use std::ops::Range;

/// Which family a reference belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    /// `$User.<field>`
    User,
    /// `$Profile.<field>`
    Profile,
    /// `$UserRole.<field>`
    UserRole,
    /// `$Permission.<CustomPermissionName>`
    Permission,
    /// `$Setup.<Setting__c>.<Field__c>`
    Setup,
    /// `$CustomMetadata.<Type__mdt>.<Record>.<Field__c>`
    CustomMetadata,
    /// `$Organization.<field>`
    Organization,
    /// A literal record id with key prefix `005` (inside a string literal).
    UserId,
    /// A literal record id with key prefix `00e`.
    ProfileId,
    /// A literal record id with key prefix `00E` (case-sensitive: `00E` is not `00e`).
    RoleId,
}

impl RefKind {
    /// Stable kebab-case name, for rule scripts and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            RefKind::User => "user",
            RefKind::Profile => "profile",
            RefKind::UserRole => "user-role",
            RefKind::Permission => "permission",
            RefKind::Setup => "setup",
            RefKind::CustomMetadata => "custom-metadata",
            RefKind::Organization => "organization",
            RefKind::UserId => "user-id",
            RefKind::ProfileId => "profile-id",
            RefKind::RoleId => "role-id",
        }
    }

    /// The family of a global, from the name between `$` and the first `.` (case-insensitive).
    /// Globals that say nothing about identity or bypasses (`$Label`, `$Record`, ...) give `None`.
    fn from_global_name(name: &[u8]) -> Option<RefKind> {
        const FAMILIES: [(&[u8], RefKind); 7] = [
            (b"user", RefKind::User),
            (b"profile", RefKind::Profile),
            (b"userrole", RefKind::UserRole),
            (b"permission", RefKind::Permission),
            (b"setup", RefKind::Setup),
            (b"custommetadata", RefKind::CustomMetadata),
            (b"organization", RefKind::Organization),
        ];
        FAMILIES
            .iter()
            .find(|(family, _)| family.eq_ignore_ascii_case(name))
            .map(|&(_, kind)| kind)
    }

    /// The id family from a record id's 3-character key prefix. Case matters: ids are base-62.
    fn from_key_prefix(id: &[u8]) -> Option<RefKind> {
        match id.get(..3)? {
            b"005" => Some(RefKind::UserId),
            b"00e" => Some(RefKind::ProfileId),
            b"00E" => Some(RefKind::RoleId),
            _ => None,
        }
    }
}

/// One reference found in a formula.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaRef {
    pub kind: RefKind,
    /// The reference exactly as written, e.g. "$user.Username", "$Permission.Bypass_VR", "005000000000001AAA"
    pub text: String,
    /// For globals: the path after the global name, as written: "Username", "Bypass_VR", "Process_Deactivation__c.Disable__c".
    /// For ids: the id normalised to its first 15 characters.
    pub name: String,
    /// Byte offsets [start, end) of the reference in the input (for ids: of the id characters, without quotes).
    pub start: usize,
    pub end: usize,
}

/// Fields of `$User` that name one person: a test is a bypass only when compared with a literal.
const PERSONAL_USER_FIELDS: &[&str] = &[
    "username",
    "id",
    "email",
    "alias",
    "communitynickname",
    "federationidentifier",
    "employeenumber",
];

/// Does this reference test who the running user is? `$Profile.Name`/`Id`,
/// `$UserRole.Name`/`DeveloperName`/`RollupDescription`/`Id`, `$User.ProfileId`/`UserRoleId`, literal user/profile/
/// role Ids always; `$User.Username`, `Id`, `Email` and the like when compared with a literal; a
/// custom User field carrying the profile or role (`$User.Profile_Name__c`) when compared with a
/// literal. Other `$Profile` and `$UserRole` fields (`UserType`, `LicenseType`, `PortalType`) say
/// what *kind* of user it is (guest, partner), not who: not a bypass. The rule
/// `bypass-by-identity` documents the reasoning.
pub fn tests_identity(r: &FormulaRef, compared_with_literal: bool) -> bool {
    reference_tests_identity(r.kind, &r.name, compared_with_literal)
}

/// [`tests_identity`] for a classified reference: its kind and the field path after the global.
pub fn reference_tests_identity(kind: RefKind, path: &str, compared_with_literal: bool) -> bool {
    let field = path.split('.').next().unwrap_or("").to_ascii_lowercase();
    match kind {
        RefKind::Profile => matches!(field.as_str(), "name" | "id"),
        RefKind::UserRole => {
            matches!(
                field.as_str(),
                "name" | "developername" | "rollupdescription" | "id"
            )
        }
        RefKind::ProfileId | RefKind::RoleId | RefKind::UserId => true,
        RefKind::User => user_field_tests_identity(path, compared_with_literal),
        _ => false,
    }
}

/// [`tests_identity`] for a `$User` field by name.
pub fn user_field_tests_identity(field: &str, compared_with_literal: bool) -> bool {
    let field = field.to_ascii_lowercase();
    if field == "profileid" || field == "userroleid" {
        return true;
    }
    if PERSONAL_USER_FIELDS.contains(&field.as_str()) {
        return compared_with_literal;
    }
    field.ends_with("__c")
        && (field.contains("profile") || field.contains("role"))
        && compared_with_literal
}

/// Scan a formula (validation rule errorConditionFormula, flow formula expression, flow filterFormula, etc.).
/// References are returned in source order.
pub fn scan(formula: &str) -> Vec<FormulaRef> {
    let mut refs = Vec::new();
    scan_tokens(formula, 0, false, &mut refs);
    refs
}

/// Scan text that is not a formula but embeds `{!...}` merge fields: flow text templates, email
/// bodies, web-link URLs and their JavaScript. Only the merge fields are lexed as formulas, so an
/// apostrophe in prose (`Don't`) cannot swallow the references after it.
// Not yet called by the policy API (it scans formulas only); kept ready for text templates and web links.
#[allow(dead_code)]
pub fn scan_merge_fields(text: &str) -> Vec<FormulaRef> {
    let bytes = text.as_bytes();
    let mut refs = Vec::new();
    let mut pos = 0;
    while let Some(offset) = bytes[pos..].windows(2).position(|pair| pair == b"{!") {
        let close = scan_tokens(text, pos + offset + 2, true, &mut refs);
        pos = (close + 1).min(bytes.len());
    }
    refs
}

/// Is the reference `r` (found by `scan(formula)`) compared with, or tested against, a literal?
/// True when the value of `$User.Username`/`$User.Id`/... is matched against text written in the
/// formula — the shape of a hard-coded identity bypass — and false when it is compared with
/// something that varies per record (a field, another global, a function of fields).
///
/// The value of the reference is followed outward through merge braces (`{!...}`), grouping
/// parentheses and transparent functions (`LOWER`, `TRIM`, `TEXT`, `LEFT`, `CASESAFEID`, ...). At
/// each step it counts as compared with a literal when
/// - a comparison operator (`=`, `==`, `<>`, `!=`, `<`, `>`, `<=`, `>=`) joins it to a string
///   literal, on either side; the literal may be grouped or wrapped in transparent functions too;
/// - it is an argument of a matching function (`CONTAINS`, `BEGINS`, `ISPICKVAL`, `INCLUDES`,
///   `FIND`, `REGEX`, `SUBSTITUTE`) and another argument is a string literal, or it is the
///   expression of a `CASE` and one of the values it is matched against is a string literal.
///
/// Number literals do not count. A value joined to a neighbour by `&` or arithmetic is part of a
/// larger operand and is not compared directly. Id references are literals themselves and give
/// `false`, as does a reference that is not a global found in `formula`.
pub fn compared_with_literal(formula: &str, r: &FormulaRef) -> bool {
    compared_with_literal_each(formula, std::slice::from_ref(r))[0]
}

/// [`compared_with_literal`] for every reference of one formula, lexing it once: linear in the
/// formula's size however many references it holds.
pub fn compared_with_literal_each(formula: &str, refs: &[FormulaRef]) -> Vec<bool> {
    let tokens = Tokens::lex(formula);
    refs.iter()
        .map(|r| {
            tokens
                .global_at(r)
                .is_some_and(|at| tokens.value_compared_with_literal(at..at + 1))
        })
        .collect()
}

/// The lexer proper: record references from `start` on and return where scanning stopped, which
/// is the end of input or, with `stop_at_close_brace`, the `}` that ends a merge field.
fn scan_tokens(
    formula: &str,
    start: usize,
    stop_at_close_brace: bool,
    refs: &mut Vec<FormulaRef>,
) -> usize {
    let bytes = formula.as_bytes();
    let mut pos = start;
    while pos < bytes.len() {
        pos = match bytes[pos] {
            b'}' if stop_at_close_brace => return pos,
            b'/' if bytes.get(pos + 1) == Some(&b'*') => skip_comment(bytes, pos + 2),
            quote @ (b'\'' | b'"') => scan_string_literal(formula, pos, quote, refs),
            b'$' => scan_global(formula, pos, refs),
            _ => pos + 1,
        };
    }
    bytes.len()
}

/// Is `value` (a whole trimmed string, e.g. a flow rightValue/stringValue) a 15- or 18-character Salesforce id
/// with key prefix 005 / 00e / 00E? Returns the matching kind.
pub fn literal_id_kind(value: &str) -> Option<RefKind> {
    let id = value.trim().as_bytes();
    if id.iter().all(u8::is_ascii_alphanumeric) && is_record_id(id) {
        RefKind::from_key_prefix(id)
    } else {
        None
    }
}

/// Classify a bare flow reference such as "$User.Username", "$Profile.Name", "$Permission.X", "$UserRole.Name",
/// "$Setup.X__c.Y__c", "myVariable", "$Record.OwnerId" (case-insensitive). Returns the kind and the path after the
/// global name, or None when it is not one of the globals above.
///
/// A merge-field wrapper (`{!$User.Id}`) is accepted too. Anything after the reference makes it `None`.
pub fn classify_reference(reference: &str) -> Option<(RefKind, String)> {
    let mut reference = reference.trim();
    if let Some(inner) = reference
        .strip_prefix("{!")
        .and_then(|rest| rest.strip_suffix('}'))
    {
        reference = inner.trim();
    }
    let bytes = reference.as_bytes();
    if bytes.first() != Some(&b'$') {
        return None;
    }
    let token = GlobalToken::parse(bytes, 0)?;
    if token.end != bytes.len() {
        return None;
    }
    let kind = RefKind::from_global_name(&bytes[1..token.name_end])?;
    Some((kind, reference[token.name_end + 1..token.end].to_string()))
}

/// Identifier characters of global names and field paths.
fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// End of the run of identifier characters starting at `start`.
fn ident_end(bytes: &[u8], start: usize) -> usize {
    let run = bytes.get(start..).unwrap_or_default();
    start + run.iter().take_while(|&&b| is_ident_byte(b)).count()
}

/// Position after the `*/` that closes a comment whose body starts at `body_start`.
/// Comments do not nest; an unterminated comment runs to the end of input.
fn skip_comment(bytes: &[u8], body_start: usize) -> usize {
    let body = bytes.get(body_start..).unwrap_or_default();
    match body.windows(2).position(|pair| pair == b"*/") {
        Some(offset) => body_start + offset + 2,
        None => bytes.len(),
    }
}

/// A lexed `$Global.path.segments` token (offsets into the input).
struct GlobalToken {
    /// End of the global's name; the path starts after the `.` here.
    name_end: usize,
    /// End of the whole token.
    end: usize,
}

impl GlobalToken {
    /// Lex a global at `dollar` (which holds `$`). `None` unless at least one `.field` segment
    /// follows the name: `$User` alone is not a reference. A trailing `.` is left out.
    fn parse(bytes: &[u8], dollar: usize) -> Option<GlobalToken> {
        let name_end = ident_end(bytes, dollar + 1);
        if name_end == dollar + 1 {
            return None;
        }
        let mut end = name_end;
        while bytes.get(end) == Some(&b'.') {
            let segment_end = ident_end(bytes, end + 1);
            if segment_end == end + 1 {
                break;
            }
            end = segment_end;
        }
        (end > name_end).then_some(GlobalToken { name_end, end })
    }
}

/// Lex a `$...` token at `dollar`, record it when it is one of the families we report,
/// and return the position after it.
fn scan_global(formula: &str, dollar: usize, refs: &mut Vec<FormulaRef>) -> usize {
    let bytes = formula.as_bytes();
    let Some(token) = GlobalToken::parse(bytes, dollar) else {
        // Skip the whole name so that `$User` followed by junk is not re-lexed.
        return ident_end(bytes, dollar + 1);
    };
    if let Some(kind) = RefKind::from_global_name(&bytes[dollar + 1..token.name_end]) {
        refs.push(FormulaRef {
            kind,
            text: formula[dollar..token.end].to_string(),
            name: formula[token.name_end + 1..token.end].to_string(),
            start: dollar,
            end: token.end,
        });
    }
    token.end
}

/// Lex a string literal opened by `quote` at `open`, record the user / profile / role ids in it,
/// and return the position after the closing quote (or the end of input when unterminated).
///
/// Ids are maximal runs of ASCII letters and digits, so `'00e...,00e...'` yields two ids.
/// A backslash escapes the next character; the escape sequence separates runs, so the `n` of
/// `\n` never becomes part of an id.
fn scan_string_literal(formula: &str, open: usize, quote: u8, refs: &mut Vec<FormulaRef>) -> usize {
    let bytes = formula.as_bytes();
    let mut pos = open + 1;
    let mut run_start = pos;
    while pos < bytes.len() {
        let byte = bytes[pos];
        if byte.is_ascii_alphanumeric() {
            pos += 1;
            continue;
        }
        record_id_run(formula, run_start, pos, refs);
        if byte == quote {
            return pos + 1;
        }
        pos = if byte == b'\\' { pos + 2 } else { pos + 1 };
        run_start = pos;
    }
    // Unterminated: the literal runs to the end of input (an escape may have stepped past it).
    let end = bytes.len();
    if run_start < end {
        record_id_run(formula, run_start, end, refs);
    }
    end
}

/// Record `formula[start..end]` (a maximal alphanumeric run) if it is a user, profile or role id.
fn record_id_run(formula: &str, start: usize, end: usize, refs: &mut Vec<FormulaRef>) {
    let run = &formula.as_bytes()[start..end];
    if !is_record_id(run) {
        return;
    }
    if let Some(kind) = RefKind::from_key_prefix(run) {
        refs.push(FormulaRef {
            kind,
            text: formula[start..end].to_string(),
            name: formula[start..start + 15].to_string(),
            start,
            end,
        });
    }
}

/// Does an all-alphanumeric `candidate` have the shape of a record id: 15 characters, or 18 with
/// the correct check suffix? An 18-character run with a wrong suffix is rejected outright rather
/// than read as a 15-character id: it is some other token.
fn is_record_id(candidate: &[u8]) -> bool {
    match candidate.len() {
        15 => true,
        18 => has_valid_check_suffix(candidate),
        _ => false,
    }
}

/// The 18-character id's last 3 characters encode, per 5-character block of the 15-character id,
/// which characters are upper case (bit i for character i), mapped through this alphabet.
const ID_CHECK_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

fn has_valid_check_suffix(id18: &[u8]) -> bool {
    let (id15, suffix) = id18.split_at(15);
    id15.chunks(5).zip(suffix).all(|(block, &check)| {
        let uppercase_bits = block
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |bits, (i, _)| bits | (1 << i));
        ID_CHECK_ALPHABET[uppercase_bits] == check
    })
}

/// Kinds of formula tokens, for [`compared_with_literal`]. Whitespace and comments are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// A string literal, quotes included (an unterminated one runs to the end of input).
    Str,
    /// A `$Global.path` reference.
    Global,
    /// A run of identifier characters and dots that starts with a digit.
    Number,
    /// Any other run of identifier characters and dots: function names, fields, `.Field` after `[Object]`.
    Word,
    /// `=`, `==`, `<>`, `!=`, `<`, `>`, `<=`, `>=`.
    Compare,
    /// Operators that bind tighter than comparisons: `&` (concatenation), `+`, `-`, `*`, `/`, `^`.
    Arith,
    Open,
    Close,
    Comma,
    /// `{!`
    MergeOpen,
    /// `}`
    MergeClose,
    /// Anything else: `&&`, `||`, `!`, `[`, `]`, a `$` that starts no reference, non-ASCII bytes.
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

/// A formula as tokens, with its parentheses matched. Token ranges (`Range<usize>`) index `list`.
struct Tokens<'a> {
    bytes: &'a [u8],
    list: Vec<Token>,
    /// For a `(` or `)`: the index of the matching parenthesis, if any.
    partner: Vec<Option<usize>>,
    /// For each token: the innermost unclosed `(` around it.
    parent: Vec<Option<usize>>,
}

/// An argument of a function call, for [`compared_with_literal`].
struct Call {
    /// Index of the function-name token; the `(` follows it.
    name: usize,
    /// Index of the closing `)`, if the call is closed.
    close: Option<usize>,
    /// The arguments' token ranges (possibly empty), in order.
    args: Vec<Range<usize>>,
    /// Which argument the value of interest is.
    position: usize,
}

/// Functions that test their arguments against each other. `CASE` is handled separately.
const MATCHING_FUNCTIONS: [&str; 7] = [
    "CONTAINS",
    "BEGINS",
    "ISPICKVAL",
    "INCLUDES",
    "FIND",
    "REGEX",
    "SUBSTITUTE",
];

/// Functions whose result is (a transformation of) their first argument.
const TRANSPARENT_FUNCTIONS: [&str; 12] = [
    "LOWER",
    "UPPER",
    "TRIM",
    "TEXT",
    "VALUE",
    "CASESAFEID",
    "LEFT",
    "RIGHT",
    "MID",
    "LPAD",
    "RPAD",
    "SUBSTITUTE",
];

/// Functions whose result is any one of their arguments.
const FALLBACK_FUNCTIONS: [&str; 2] = ["BLANKVALUE", "NULLVALUE"];

fn is_one_of(name: &[u8], functions: &[&str]) -> bool {
    functions
        .iter()
        .any(|f| f.as_bytes().eq_ignore_ascii_case(name))
}

/// Does a call to `name` pass the value of its argument number `position` through to its result?
fn is_transparent(name: &[u8], position: usize) -> bool {
    (position == 0 && is_one_of(name, &TRANSPARENT_FUNCTIONS))
        || is_one_of(name, &FALLBACK_FUNCTIONS)
}

/// End of a run of identifier characters and dots starting at `start`.
fn word_end(bytes: &[u8], start: usize) -> usize {
    let run = bytes.get(start..).unwrap_or_default();
    start
        + run
            .iter()
            .take_while(|&&b| is_ident_byte(b) || b == b'.')
            .count()
}

impl<'a> Tokens<'a> {
    /// Tokenize like [`scan`] does: the same comment, string literal and global rules.
    fn lex(formula: &'a str) -> Tokens<'a> {
        let bytes = formula.as_bytes();
        let mut list = Vec::new();
        let mut pos = 0;
        while pos < bytes.len() {
            let (kind, end) = match &bytes[pos..] {
                [b, ..] if b.is_ascii_whitespace() => {
                    pos += 1;
                    continue;
                }
                [b'/', b'*', ..] => {
                    pos = skip_comment(bytes, pos + 2);
                    continue;
                }
                // The ids found in the literal are not needed here; the vector allocates only if there are some.
                [quote @ (b'\'' | b'"'), ..] => (
                    Tok::Str,
                    scan_string_literal(formula, pos, *quote, &mut Vec::new()),
                ),
                [b'$', ..] => match GlobalToken::parse(bytes, pos) {
                    Some(token) => (Tok::Global, token.end),
                    None => (Tok::Other, ident_end(bytes, pos + 1)),
                },
                [b'{', b'!', ..] => (Tok::MergeOpen, pos + 2),
                [b'}', ..] => (Tok::MergeClose, pos + 1),
                [b'(', ..] => (Tok::Open, pos + 1),
                [b')', ..] => (Tok::Close, pos + 1),
                [b',', ..] => (Tok::Comma, pos + 1),
                [b'=', b'=', ..] | [b'<', b'>' | b'=', ..] | [b'>' | b'!', b'=', ..] => {
                    (Tok::Compare, pos + 2)
                }
                [b'=' | b'<' | b'>', ..] => (Tok::Compare, pos + 1),
                [b'&', b'&', ..] | [b'|', b'|', ..] => (Tok::Other, pos + 2),
                [b'&' | b'+' | b'-' | b'*' | b'/' | b'^', ..] => (Tok::Arith, pos + 1),
                [b, ..] if b.is_ascii_digit() => (Tok::Number, word_end(bytes, pos)),
                [b, ..] if is_ident_byte(*b) || *b == b'.' => (Tok::Word, word_end(bytes, pos)),
                _ => (Tok::Other, pos + 1),
            };
            list.push(Token {
                kind,
                start: pos,
                end,
            });
            pos = end;
        }

        let mut partner = vec![None; list.len()];
        let mut parent = vec![None; list.len()];
        let mut unclosed = Vec::new();
        for (i, token) in list.iter().enumerate() {
            if token.kind == Tok::Close {
                if let Some(open) = unclosed.pop() {
                    partner[open] = Some(i);
                    partner[i] = Some(open);
                }
            }
            parent[i] = unclosed.last().copied();
            if token.kind == Tok::Open {
                unclosed.push(i);
            }
        }
        Tokens {
            bytes,
            list,
            partner,
            parent,
        }
    }

    fn kind(&self, i: usize) -> Option<Tok> {
        self.list.get(i).map(|token| token.kind)
    }

    /// Kind of the token just before `i`.
    fn kind_before(&self, i: usize) -> Option<Tok> {
        self.kind(i.checked_sub(1)?)
    }

    fn text(&self, i: usize) -> &[u8] {
        let token = self.list[i];
        &self.bytes[token.start..token.end]
    }

    /// Index of the global token that `r` spans exactly.
    fn global_at(&self, r: &FormulaRef) -> Option<usize> {
        let at = self.list.binary_search_by_key(&r.start, |t| t.start).ok()?;
        let token = self.list[at];
        (token.kind == Tok::Global && token.end == r.end).then_some(at)
    }

    /// Follow the value in `value` outward (see [`compared_with_literal`]).
    fn value_compared_with_literal(&self, mut value: Range<usize>) -> bool {
        loop {
            if self.compared_by_operator(&value) {
                return true;
            }
            value = if self.kind_before(value.start) == Some(Tok::MergeOpen)
                && self.kind(value.end) == Some(Tok::MergeClose)
            {
                value.start - 1..value.end + 1
            } else if let Some(call) = self.call_with_argument(&value) {
                if self.tests_against_literal(&call) {
                    return true;
                }
                match call.close {
                    Some(close) if is_transparent(self.text(call.name), call.position) => {
                        call.name..close + 1
                    }
                    _ => return false,
                }
            } else if let Some(group) = self.group_around(&value) {
                group
            } else {
                return false;
            };
        }
    }

    /// Is `value` one side of a comparison whose other side is a string literal?
    fn compared_by_operator(&self, value: &Range<usize>) -> bool {
        let literal = |operand: Option<Range<usize>>| {
            operand.is_some_and(|o| self.is_standalone(&o) && self.is_literal(o))
        };
        let compare_before = value
            .start
            .checked_sub(1)
            .filter(|&i| self.kind(i) == Some(Tok::Compare));
        self.is_standalone(value)
            && ((self.kind(value.end) == Some(Tok::Compare)
                && literal(self.operand_after(value.end + 1)))
                || compare_before.is_some_and(|i| literal(self.operand_before(i))))
    }

    /// Is the operand in `range` not glued to a neighbour by concatenation or arithmetic?
    fn is_standalone(&self, range: &Range<usize>) -> bool {
        self.kind_before(range.start) != Some(Tok::Arith)
            && self.kind(range.end) != Some(Tok::Arith)
    }

    /// The simple operand (string literal, parenthesised group or function call) starting at `start`.
    fn operand_after(&self, start: usize) -> Option<Range<usize>> {
        let last = match self.kind(start)? {
            Tok::Str => start,
            Tok::Open => self.partner[start]?,
            Tok::Word if self.kind(start + 1) == Some(Tok::Open) => self.partner[start + 1]?,
            _ => return None,
        };
        Some(start..last + 1)
    }

    /// The simple operand (string literal, parenthesised group or function call) ending before `end`.
    fn operand_before(&self, end: usize) -> Option<Range<usize>> {
        let last = end.checked_sub(1)?;
        let start = match self.kind(last)? {
            Tok::Str => last,
            Tok::Close => {
                let open = self.partner[last]?;
                match self.kind_before(open) {
                    Some(Tok::Word) => open - 1,
                    _ => open,
                }
            }
            _ => return None,
        };
        Some(start..end)
    }

    /// Is `range` a string literal, possibly grouped or wrapped in transparent functions?
    fn is_literal(&self, mut range: Range<usize>) -> bool {
        while let Some(first) = self.kind(range.start).filter(|_| !range.is_empty()) {
            let last = range.end - 1;
            range = match first {
                Tok::Str => return range.len() == 1,
                Tok::Open if self.partner[range.start] == Some(last) => range.start + 1..last,
                Tok::Word
                    if self.kind(range.start + 1) == Some(Tok::Open)
                        && self.partner[range.start + 1] == Some(last)
                        && is_transparent(self.text(range.start), 0) =>
                {
                    self.arguments(range.start + 1).swap_remove(0)
                }
                _ => return false,
            };
        }
        false
    }

    /// The call of which `value` is exactly one whole argument, if any.
    fn call_with_argument(&self, value: &Range<usize>) -> Option<Call> {
        let open = self.parent[value.start]?;
        let name = open
            .checked_sub(1)
            .filter(|&i| self.kind(i) == Some(Tok::Word))?;
        let args = self.arguments(open);
        let position = args.iter().position(|arg| arg == value)?;
        Some(Call {
            name,
            close: self.partner[open],
            args,
            position,
        })
    }

    /// The argument ranges of the call whose `(` is at `open`. An unclosed call runs to the end.
    fn arguments(&self, open: usize) -> Vec<Range<usize>> {
        let mut args = Vec::new();
        let mut start = open + 1;
        let mut i = start;
        while let Some(kind) = self.kind(i) {
            match kind {
                Tok::Open => match self.partner[i] {
                    Some(close) => i = close,
                    None => {
                        i = self.list.len();
                        break;
                    }
                },
                Tok::Comma => {
                    args.push(start..i);
                    start = i + 1;
                }
                Tok::Close => break,
                _ => {}
            }
            i += 1;
        }
        args.push(start..i);
        args
    }

    /// The parenthesised group (parentheses that are not a call) whose whole content is `value`.
    fn group_around(&self, value: &Range<usize>) -> Option<Range<usize>> {
        let open = self.parent[value.start]?;
        let is_group = self.kind_before(open) != Some(Tok::Word)
            && value.start == open + 1
            && self.partner[open] == Some(value.end);
        is_group.then(|| open..value.end + 1)
    }

    /// Does `call` test its argument at `call.position` against a string literal?
    fn tests_against_literal(&self, call: &Call) -> bool {
        let name = self.text(call.name);
        let literal_where = |include: &dyn Fn(usize) -> bool| {
            call.args
                .iter()
                .enumerate()
                .any(|(i, arg)| include(i) && self.is_literal(arg.clone()))
        };
        if name.eq_ignore_ascii_case(b"CASE") {
            // CASE(expression, value1, result1, value2, result2, ..., else_result)
            let count = call.args.len();
            call.position == 0 && literal_where(&|i| i % 2 == 1 && i + 1 < count)
        } else if is_one_of(name, &MATCHING_FUNCTIONS) {
            // The value itself holds a reference, so it is never a literal: any literal is another argument.
            literal_where(&|_| true)
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (kind, text, name) of each reference, for compact assertions.
    fn summary(formula: &str) -> Vec<(RefKind, String, String)> {
        summary_of(scan(formula))
    }

    fn summary_of(refs: Vec<FormulaRef>) -> Vec<(RefKind, String, String)> {
        refs.into_iter().map(|r| (r.kind, r.text, r.name)).collect()
    }

    fn entry(kind: RefKind, text: &str, name: &str) -> (RefKind, String, String) {
        (kind, text.to_string(), name.to_string())
    }

    /// Byte span of the only occurrence of `needle` in `haystack`.
    fn span_of(haystack: &str, needle: &str) -> (usize, usize) {
        let start = haystack.find(needle).expect("needle present");
        assert_eq!(haystack.matches(needle).count(), 1, "needle must be unique");
        (start, start + needle.len())
    }

    fn assert_span(found: &FormulaRef, formula: &str, needle: &str) {
        assert_eq!((found.start, found.end), span_of(formula, needle));
        assert_eq!(&formula[found.start..found.end], found.text);
    }

    #[test]
    fn user_username_comparison() {
        let formula = r#"$User.Username = "a@b.com""#;
        let refs = scan(formula);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].kind, RefKind::User);
        assert_eq!(refs[0].text, "$User.Username");
        assert_eq!(refs[0].name, "Username");
        assert_eq!((refs[0].start, refs[0].end), (0, 14));
    }

    #[test]
    fn globals_are_case_insensitive_and_keep_original_spelling() {
        assert_eq!(
            summary("$user.username = 'x' || $USER.Username = 'y' || $userROLE.name = 'z'"),
            vec![
                entry(RefKind::User, "$user.username", "username"),
                entry(RefKind::User, "$USER.Username", "Username"),
                entry(RefKind::UserRole, "$userROLE.name", "name"),
            ]
        );
    }

    #[test]
    fn global_in_comment_is_ignored() {
        let formula = "/* $Profile.Name = 'Admin' */ ISNEW()";
        assert!(scan(formula).is_empty());
        let formula = "NOT(ISNEW()) /* $Profile.Name */ && $User.IsActive";
        assert_eq!(
            summary(formula),
            vec![entry(RefKind::User, "$User.IsActive", "IsActive")]
        );
    }

    #[test]
    fn multi_line_comment_is_ignored() {
        let formula = "/* BLOCKIERT: Änderung\r\n  ERLAUBT FÜR $Profile.Name\n*/\r\nNOT($Permission.ChangeContactAccount)";
        assert_eq!(
            summary(formula),
            vec![entry(
                RefKind::Permission,
                "$Permission.ChangeContactAccount",
                "ChangeContactAccount"
            )]
        );
    }

    #[test]
    fn global_inside_string_is_ignored() {
        assert!(scan(r#"Description = "$Profile.Name""#).is_empty());
        assert!(scan("Description = '$Profile.Name'").is_empty());
    }

    #[test]
    fn quote_inside_comment_and_comment_marker_inside_string_do_not_switch_state() {
        // The apostrophe in the comment must not open a string.
        let formula = "/* don't */ $User.Id = '1'";
        assert_eq!(
            summary(formula),
            vec![entry(RefKind::User, "$User.Id", "Id")]
        );
        // "/*" inside a string must not open a comment.
        let formula = "Name = '/*' && $Profile.Name = 'x*/'";
        assert_eq!(
            summary(formula),
            vec![entry(RefKind::Profile, "$Profile.Name", "Name")]
        );
        // A different quote style inside a string does not close it.
        assert!(scan(r#"'say "hi" $User.Id'"#).is_empty());
    }

    #[test]
    fn mixed_formula_gives_permission_and_profile_with_offsets() {
        let formula = "AND(ISCHANGED(X__c), NOT(OR($Permission.Bypass_VR, $Profile.Name = 'System Administrator')))";
        let refs = scan(formula);
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].kind, RefKind::Permission);
        assert_eq!(refs[0].name, "Bypass_VR");
        assert_eq!((refs[0].start, refs[0].end), (28, 49));
        assert_span(&refs[0], formula, "$Permission.Bypass_VR");
        assert_eq!(refs[1].kind, RefKind::Profile);
        assert_eq!(refs[1].name, "Name");
        assert_eq!((refs[1].start, refs[1].end), (51, 64));
        assert_span(&refs[1], formula, "$Profile.Name");
    }

    #[test]
    fn contains_profile_name() {
        let formula = "CONTAINS($Profile.Name, 'Admin')";
        let refs = scan(formula);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].kind, RefKind::Profile);
        assert_eq!((refs[0].start, refs[0].end), (9, 22));
    }

    #[test]
    fn merge_syntax_counts_like_bare_references() {
        let formula = "{!$User.Id}";
        let refs = scan(formula);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].kind, RefKind::User);
        assert_eq!(refs[0].text, "$User.Id");
        assert_eq!((refs[0].start, refs[0].end), (2, 10));

        let formula = "ISNEW() || ({!$Permission.Bypass_X} && ISCHANGED({!$Record.Name}))";
        assert_eq!(
            summary(formula),
            vec![entry(
                RefKind::Permission,
                "$Permission.Bypass_X",
                "Bypass_X"
            )]
        );
    }

    #[test]
    fn process_builder_brackets_are_punctuation() {
        let formula = "AND([Case].New_Attachment__c, ISPICKVAL($User.UserType, 'Partner'))";
        let refs = scan(formula);
        assert_eq!(refs.len(), 1);
        assert_span(&refs[0], formula, "$User.UserType");
    }

    #[test]
    fn escaped_quote_keeps_string_open() {
        assert!(scan(r#""a\"$User.Id""#).is_empty());
        assert!(scan(r"'it\'s $User.Id'").is_empty());
        // An escaped backslash does not escape the closing quote.
        let formula = r"'a\\' & $User.Id";
        assert_eq!(
            summary(formula),
            vec![entry(RefKind::User, "$User.Id", "Id")]
        );
    }

    #[test]
    fn setup_and_custom_metadata_keep_full_path() {
        let formula = "{!$Setup.Process_Deactivation__c.Disable_All_Validation_Rules__c}";
        let refs = scan(formula);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].kind, RefKind::Setup);
        assert_eq!(
            refs[0].text,
            "$Setup.Process_Deactivation__c.Disable_All_Validation_Rules__c"
        );
        assert_eq!(
            refs[0].name,
            "Process_Deactivation__c.Disable_All_Validation_Rules__c"
        );
        assert_span(
            &refs[0],
            formula,
            "$Setup.Process_Deactivation__c.Disable_All_Validation_Rules__c",
        );

        assert_eq!(
            summary("$CustomMetadata.Switch__mdt.Default.Off__c"),
            vec![entry(
                RefKind::CustomMetadata,
                "$CustomMetadata.Switch__mdt.Default.Off__c",
                "Switch__mdt.Default.Off__c"
            )]
        );
    }

    #[test]
    fn organization_is_reported_other_globals_are_not() {
        let formula = "$Organization.Id = '00D000000000001' && $Label.X = $Api.Session_ID \
                       && $Record.OwnerId = $Record__Prior.OwnerId && $Flow.CurrentDateTime > $System.OriginDateTime";
        assert_eq!(
            summary(formula),
            vec![entry(RefKind::Organization, "$Organization.Id", "Id")]
        );
    }

    #[test]
    fn global_without_field_is_not_a_reference() {
        assert!(scan("$User = x").is_empty());
        assert!(scan("$User. Name").is_empty());
        assert!(scan("$Permission").is_empty());
        assert!(scan("$.User.Name").is_empty());
        // A trailing dot is not part of the reference.
        assert_eq!(
            summary("$User.Name."),
            vec![entry(RefKind::User, "$User.Name", "Name")]
        );
    }

    #[test]
    fn ids_fifteen_and_eighteen_long_in_both_quote_styles() {
        let formula = "$User.Id = '005000000000001' || $User.Id = \"005000000000001AAA\"";
        let refs = scan(formula);
        assert_eq!(refs.len(), 4);
        assert_eq!(refs[0].kind, RefKind::User);
        assert_eq!(refs[1].kind, RefKind::UserId);
        assert_eq!(refs[1].text, "005000000000001");
        assert_eq!(refs[1].name, "005000000000001");
        assert_eq!((refs[1].start, refs[1].end), (12, 27));
        assert_eq!(refs[2].kind, RefKind::User);
        assert_eq!(refs[3].kind, RefKind::UserId);
        assert_eq!(refs[3].text, "005000000000001AAA");
        assert_eq!(refs[3].name, "005000000000001");
        assert_eq!((refs[3].start, refs[3].end), (44, 62));
    }

    #[test]
    fn real_corpus_ids_validate() {
        // 18-character ids from real repositories; their check suffixes must be accepted.
        for id in [
            "00520000002MSDBAA4",
            "0052M0000093AMhQAM",
            "0055J000001eifDQAQ",
            "005b0000001V30PAAS",
        ] {
            let formula = format!("$User.Id <> '{id}'");
            let refs = scan(&formula);
            assert_eq!(refs.len(), 2, "{id}");
            assert_eq!(refs[1].kind, RefKind::UserId);
            assert_eq!(refs[1].text, id);
            assert_eq!(refs[1].name, &id[..15]);
        }
        let formula = "$User.Id != '005b0000001V30P' && /* System (Witte) */\n$User.Id != '005Vi00000hPk25' /* Peter Schröder */";
        let names: Vec<String> = scan(formula)
            .into_iter()
            .filter(|r| r.kind == RefKind::UserId)
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["005b0000001V30P", "005Vi00000hPk25"]);
    }

    #[test]
    fn profile_and_role_prefixes_are_case_sensitive() {
        assert_eq!(
            summary("$Profile.Id = '00e0X000000ds1P' || $UserRole.Id = '00E0X000000ds1P'"),
            vec![
                entry(RefKind::Profile, "$Profile.Id", "Id"),
                entry(RefKind::ProfileId, "00e0X000000ds1P", "00e0X000000ds1P"),
                entry(RefKind::UserRole, "$UserRole.Id", "Id"),
                entry(RefKind::RoleId, "00E0X000000ds1P", "00E0X000000ds1P"),
            ]
        );
        // Other prefixes (queue, permission set, account) are not reported.
        assert!(scan("'00G000000000001' '0PS000000000001' '001000000000001'").is_empty());
    }

    #[test]
    fn list_of_ids_in_one_literal() {
        let formula = "CONTAINS('00e30000000abcd,00e30000000efgh', $Profile.Id)";
        let refs = scan(formula);
        assert_eq!(refs.len(), 3);
        assert_eq!(refs[0].kind, RefKind::ProfileId);
        assert_span(&refs[0], formula, "00e30000000abcd");
        assert_eq!(refs[1].kind, RefKind::ProfileId);
        assert_span(&refs[1], formula, "00e30000000efgh");
        assert_eq!(refs[2].kind, RefKind::Profile);
    }

    #[test]
    fn id_shaped_runs_of_wrong_length_or_suffix_are_not_ids() {
        // 16 and 19 characters.
        assert!(scan("'0050000000000012'").is_empty());
        assert!(scan("'005000000000001AAAA'").is_empty());
        // 18 characters whose suffix is not in [A-Z0-5].
        assert!(scan("'005000000000001aaa'").is_empty());
        // 18 characters with a well-formed but wrong check suffix: not an id, and not a 15-char id either.
        assert!(scan("'005000000000001AAB'").is_empty());
        // Ids outside string literals are field names or numbers, not id literals.
        assert!(scan("Owner.Id = 005000000000001").is_empty());
        // An escape sequence separates runs: the `n` of `\n` is not part of the id.
        let formula = r"'\n005000000000001'";
        let refs = scan(formula);
        assert_eq!(refs.len(), 1);
        assert_eq!((refs[0].start, refs[0].end), (3, 18));
    }

    #[test]
    fn multi_line_formula_with_crlf_and_tabs() {
        let formula = "AND(\r\n\tISCHANGED(Status__c),\r\n\tNOT($Permission.Bypass_VR),\r\n\t$User.Id\t<>\t'005000000000001'\r\n)";
        let refs = scan(formula);
        assert_eq!(refs.len(), 3);
        assert_eq!(refs[0].kind, RefKind::Permission);
        assert_span(&refs[0], formula, "$Permission.Bypass_VR");
        assert_eq!(refs[1].kind, RefKind::User);
        assert_span(&refs[1], formula, "$User.Id");
        assert_eq!(refs[2].kind, RefKind::UserId);
        assert_span(&refs[2], formula, "005000000000001");
    }

    #[test]
    fn multi_line_string_literal_hides_globals() {
        let formula = "IF(x, 'line one\r\n$User.Id\nline 3', $Profile.Name)";
        assert_eq!(
            summary(formula),
            vec![entry(RefKind::Profile, "$Profile.Name", "Name")]
        );
    }

    #[test]
    fn unterminated_comment_and_string_run_to_end() {
        assert!(scan("ISNEW() /* $User.Id = '005000000000001'").is_empty());
        assert!(scan("'abc $User.Id").is_empty());
        assert!(scan("/*").is_empty());
        assert!(
            scan("/*/ $User.Id").is_empty(),
            "`/*/` does not close itself"
        );
        // An unterminated string still yields the ids it contains.
        let formula = "$User.Id = '005000000000001";
        assert_eq!(
            summary(formula),
            vec![
                entry(RefKind::User, "$User.Id", "Id"),
                entry(RefKind::UserId, "005000000000001", "005000000000001"),
            ]
        );
        // A trailing backslash in an unterminated string.
        assert!(scan("'\\").is_empty());
        assert!(scan("'005000000000001\\").len() == 1);
    }

    #[test]
    fn merge_fields_in_text_templates_and_weblinks() {
        // Prose apostrophes must not open a string literal.
        let text = "Don't panic, {!$User.FirstName}. It's {!$Organization.Name}'s rule: {!myVar}";
        let refs = scan_merge_fields(text);
        assert_eq!(refs.len(), 2);
        assert_span(&refs[0], text, "$User.FirstName");
        assert_span(&refs[1], text, "$Organization.Name");

        // JavaScript web link: merge fields sit inside JS strings; a formula string inside a
        // merge field is still a formula string.
        let text = "if(\"{!$Profile.Name}\" != \"System Administrator\"){ alert('$User.Id'); }\n\
                    if('{!AND(NOT(CONTAINS(LOWER($Profile.Name), 'admin {!$User.Id}')), $UserRole.Id = '00E0X000000ds1P')}' == 'true')";
        assert_eq!(
            summary_of(scan_merge_fields(text)),
            vec![
                entry(RefKind::Profile, "$Profile.Name", "Name"),
                entry(RefKind::Profile, "$Profile.Name", "Name"),
                entry(RefKind::UserRole, "$UserRole.Id", "Id"),
                entry(RefKind::RoleId, "00E0X000000ds1P", "00E0X000000ds1P"),
            ]
        );

        // Text outside merge fields is ignored, an unterminated merge field runs to the end.
        assert!(scan_merge_fields("$User.Id '005000000000001' {!").is_empty());
        assert_eq!(
            summary_of(scan_merge_fields("x {!$Permission.Bypass_X && ")),
            vec![entry(
                RefKind::Permission,
                "$Permission.Bypass_X",
                "Bypass_X"
            )]
        );
    }

    #[test]
    fn literal_id_kind_cases() {
        assert_eq!(literal_id_kind("005000000000001"), Some(RefKind::UserId));
        assert_eq!(literal_id_kind("005000000000001AAA"), Some(RefKind::UserId));
        assert_eq!(
            literal_id_kind(" 00520000002MSDBAA4\n"),
            Some(RefKind::UserId)
        );
        assert_eq!(literal_id_kind("00e0X000000ds1P"), Some(RefKind::ProfileId));
        assert_eq!(literal_id_kind("00E0X000000ds1P"), Some(RefKind::RoleId));
        assert_eq!(literal_id_kind("00G000000000001"), None);
        assert_eq!(
            literal_id_kind("005000000000001AAB"),
            None,
            "bad check suffix"
        );
        assert_eq!(literal_id_kind("0050000000000012"), None);
        assert_eq!(literal_id_kind("005-00000000001"), None);
        assert_eq!(literal_id_kind("005000000000001,"), None);
        assert_eq!(literal_id_kind("etl@acme.com"), None);
        assert_eq!(literal_id_kind(""), None);
        assert_eq!(literal_id_kind("005ééééééé"), None);
    }

    #[test]
    fn who_the_user_is_counts_what_kind_of_user_does_not() {
        let tests = |reference: &str, literal: bool| {
            let (kind, path) = classify_reference(reference).expect("a global");
            reference_tests_identity(kind, &path, literal)
        };
        for who in [
            "$Profile.Name",
            "$profile.ID",
            "$UserRole.Name",
            "$UserRole.DeveloperName",
            "$UserRole.RollupDescription",
            "$UserRole.Id",
            "$User.ProfileId",
            "$User.UserRoleId",
        ] {
            assert!(tests(who, false), "{who}");
        }
        for kind_of_user in [
            "$Profile.UserType",
            "$Profile.LicenseType",
            "$UserRole.PortalType",
            "$User.UserType",
            "$Permission.Bypass",
        ] {
            assert!(!tests(kind_of_user, true), "{kind_of_user}");
        }
        // A person's own fields count when compared with a literal only.
        assert!(tests("$User.Username", true));
        assert!(!tests("$User.Username", false));
    }

    #[test]
    fn classify_reference_cases() {
        let classify = |reference: &str| classify_reference(reference);
        let some = |kind: RefKind, path: &str| Some((kind, path.to_string()));
        assert_eq!(classify("$User.Username"), some(RefKind::User, "Username"));
        assert_eq!(classify("$user.USERNAME"), some(RefKind::User, "USERNAME"));
        assert_eq!(classify("$Profile.Name"), some(RefKind::Profile, "Name"));
        assert_eq!(classify("$UserRole.Name"), some(RefKind::UserRole, "Name"));
        assert_eq!(classify("$Permission.X"), some(RefKind::Permission, "X"));
        assert_eq!(
            classify("$Setup.X__c.Y__c"),
            some(RefKind::Setup, "X__c.Y__c")
        );
        assert_eq!(
            classify("$Organization.Id"),
            some(RefKind::Organization, "Id")
        );
        assert_eq!(classify(" {!$User.Id} "), some(RefKind::User, "Id"));
        assert_eq!(classify("myVariable"), None);
        assert_eq!(classify("$Record.OwnerId"), None);
        assert_eq!(classify("$Label.Greeting"), None);
        assert_eq!(classify("$User"), None);
        assert_eq!(classify("$User."), None);
        assert_eq!(classify("$User.Id + 1"), None);
        assert_eq!(classify(""), None);
        assert_eq!(classify("{!}"), None);
    }

    #[test]
    fn kind_names() {
        let all = [
            (RefKind::User, "user"),
            (RefKind::Profile, "profile"),
            (RefKind::UserRole, "user-role"),
            (RefKind::Permission, "permission"),
            (RefKind::Setup, "setup"),
            (RefKind::CustomMetadata, "custom-metadata"),
            (RefKind::Organization, "organization"),
            (RefKind::UserId, "user-id"),
            (RefKind::ProfileId, "profile-id"),
            (RefKind::RoleId, "role-id"),
        ];
        for (kind, name) in all {
            assert_eq!(kind.as_str(), name);
        }
    }

    /// `compared_with_literal` for each global reference of `formula`, in source order.
    fn literal_flags(formula: &str) -> Vec<bool> {
        scan(formula)
            .iter()
            .filter(|r| classify_reference(&r.text).is_some())
            .map(|r| compared_with_literal(formula, r))
            .collect()
    }

    fn assert_flags(cases: &[(&str, &[bool])]) {
        for &(formula, expected) in cases {
            assert_eq!(literal_flags(formula), expected, "{formula:?}");
        }
    }

    #[test]
    fn compared_with_literal_by_operator_on_either_side() {
        assert_flags(&[
            (r#"$User.Username = "etl@acme.com""#, &[true]),
            ("$User.Username == 'x'", &[true]),
            (r#"$User.Username <> "x""#, &[true]),
            ("$User.Username != 'x'", &[true]),
            (r#""x" = $User.Username"#, &[true]),
            ("'x' != $User.Id", &[true]),
            (
                "$User.Username < 'm' || $User.Username >= 'x'",
                &[true, true],
            ),
            ("NOT($Profile.Name = 'System Administrator')", &[true]),
            ("ISCHANGED(X__c) && $UserRole.Name <> 'CEO'", &[true]),
        ]);
    }

    #[test]
    fn compared_with_literal_through_merge_braces_and_groups() {
        assert_flags(&[
            (r#"{!$User.Username} = "x""#, &[true]),
            (r#""x" <> {!$User.Id}"#, &[true]),
            ("($User.Username) = 'x'", &[true]),
            ("'x' = ((LOWER($User.Username)))", &[true]),
            ("$User.Username = ('x')", &[true]),
            ("{!$Record.OwnerId} = {!$User.Id}", &[false]),
        ]);
    }

    #[test]
    fn compared_with_literal_through_transparent_functions() {
        assert_flags(&[
            (r#"LOWER($User.Username) = "x""#, &[true]),
            ("UPPER(TRIM($User.Email)) <> 'x'", &[true]),
            ("LEFT($User.Id, 15) = '005000000000001'", &[true]),
            ("CASESAFEID($User.Id) = '005000000000001AAA'", &[true]),
            ("TEXT($User.UserType) = 'Partner'", &[true]),
            ("'x' = lower({!$User.Username})", &[true]),
            ("BLANKVALUE(Name, $User.Username) = 'x'", &[true]),
            // The literal side may be wrapped too.
            ("$User.Username = LOWER('ETL@acme.com')", &[true]),
            ("UPPER('x') = $User.Username", &[true]),
            // Other functions do not pass a literal through.
            ("LEN('x') = $User.Username", &[false]),
            // Only the value argument passes through: the length of LEFT is not the value.
            ("LEFT(Name, $User.Id) = 'x'", &[false]),
            // LEN is not transparent, and 5 is a number.
            ("LEN($User.Username) > 5", &[false]),
            ("LEN($User.Username) = '5'", &[false]),
        ]);
    }

    #[test]
    fn compared_with_literal_in_matching_functions() {
        assert_flags(&[
            (r#"CONTAINS($User.Username, "etl")"#, &[true]),
            (r#"CONTAINS("a@x.com,b@x.com", $User.Username)"#, &[true]),
            ("BEGINS($User.Username, 'int_')", &[true]),
            ("ISPICKVAL($User.UserType, 'Partner')", &[true]),
            ("INCLUDES($User.Regions__c, 'EMEA')", &[true]),
            ("FIND('x', $User.Email) > 0", &[true]),
            (r#"REGEX($User.Username, "int_.*")"#, &[true]),
            ("SUBSTITUTE($User.Username, '@acme.com', '')", &[true]),
            (r#"CASE($User.Username, "a", 1, "b", 2, 0)"#, &[true]),
            (
                r#"OR($User.Username = "a", $User.Username = "b")"#,
                &[true, true],
            ),
            ("NOT(CONTAINS(LOWER($User.Username), 'etl'))", &[true]),
            (
                "CONTAINS($Profile.Name, 'Admin') && CONTAINS(Name, $User.LastName)",
                &[true, false],
            ),
            // Matching functions against record values.
            ("CONTAINS(Description, $User.Username)", &[false]),
            ("BEGINS($User.Username, Prefix__c)", &[false]),
            ("FIND($User.Email, Emails__c) > 0", &[false]),
            // Only string literals count.
            ("CONTAINS($User.Username, 5)", &[false]),
            ("CONTAINS($User.Username, (5))", &[false]),
        ]);
    }

    #[test]
    fn case_counts_only_its_expression_and_match_values() {
        assert_flags(&[
            // The reference is a match value, not the expression.
            ("CASE(Status, $User.Username, 1, 0)", &[false]),
            ("CASE(Status, $User.Username, 1, 'Closed', 2, 0)", &[false]),
            // The literals are results, the match value is a field.
            (r#"CASE($User.Id, OwnerId, "a", "b")"#, &[false]),
            (
                r#"CASE($User.Id, OwnerId, "a", '005000000000001', "b", "c")"#,
                &[true],
            ),
            (
                "CASE(TEXT($User.UserType), 'Partner', true, false)",
                &[true],
            ),
        ]);
    }

    #[test]
    fn compared_with_literal_ignores_layout_comments_and_name_case() {
        assert_flags(&[
            ("$User.Username\t=\r\n'x'", &[true]),
            ("$User.Username /* who */ = /* what */ 'x'", &[true]),
            ("'x'\n<>\n\t{! $User.Id }", &[true]),
            ("contains($User.Username, 'x')", &[true]),
            (
                "Contains(\r\n\t$User.Username /* 1 */ ,\r\n\t'x' /* 2 */\r\n)",
                &[true],
            ),
            ("lower ( $User.Username ) = 'x'", &[true]),
            ("case($User.Username, 'a', 1, 0)", &[true]),
            // A comparison inside a comment or a literal is no comparison.
            ("$User.Username /* = 'x' */", &[false]),
            ("$User.Username & ' = \"x\"'", &[false]),
        ]);
    }

    #[test]
    fn comparison_with_record_values_is_not_with_a_literal() {
        assert_flags(&[
            ("OwnerId <> $User.Id", &[false]),
            ("$User.Id = OwnerId", &[false]),
            ("CreatedById = $User.Id", &[false]),
            ("$User.Id = Account.OwnerId", &[false]),
            ("$User.Id = [Case].OwnerId", &[false]),
            (
                "$User.Username = $Setup.Bypass__c.Username__c",
                &[false, false],
            ),
            ("$User.Username = LOWER(Email__c)", &[false]),
            ("$User.Username = IF(x, 'a', 'b')", &[false]),
            ("$User.Id = 005000000000001", &[false]),
        ]);
    }

    #[test]
    fn literals_not_compared_with_the_reference_do_not_count() {
        assert_flags(&[
            ("ISBLANK($User.Email)", &[false]),
            (r#"$User.Username & " changed it""#, &[false]),
            (r#""changed by " & $User.Username"#, &[false]),
            (r#"IF($User.Id = OwnerId, "a", "b")"#, &[false]),
            (
                r#"AND(ISCHANGED(Status), $User.Id <> OwnerId, Status = "Closed")"#,
                &[false],
            ),
            // Concatenation binds tighter than comparison: the literal is compared with the whole concatenation.
            ("$User.Username = 'etl' & Domain__c", &[false]),
            ("Prefix__c & $User.Username = 'x'", &[false]),
            ("(Prefix__c & $User.Username) = 'x'", &[false]),
            ("'x' = $User.Username & Suffix__c", &[false]),
            ("$Permission.Bypass && Status = 'Closed'", &[false]),
        ]);
    }

    #[test]
    fn compared_with_literal_is_false_for_ids_and_foreign_references() {
        let formula = "$User.Id = '005000000000001'";
        let refs = scan(formula);
        assert_eq!(refs.len(), 2);
        assert!(compared_with_literal(formula, &refs[0]));
        assert_eq!(refs[1].kind, RefKind::UserId);
        assert!(!compared_with_literal(formula, &refs[1]));
        // A reference from another formula, or with offsets that are not a global here.
        let moved = FormulaRef {
            start: refs[0].start + 1,
            ..refs[0].clone()
        };
        assert!(!compared_with_literal(formula, &moved));
        assert!(!compared_with_literal("OwnerId = $User.Id", &refs[0]));
        assert!(!compared_with_literal("", &refs[0]));
    }

    #[test]
    fn compared_with_literal_on_unbalanced_input() {
        assert_flags(&[
            ("CONTAINS($User.Username, 'x'", &[true]),
            ("$User.Username = 'x", &[true]),
            (")) $User.Id = 'x'", &[true]),
            ("LOWER($User.Username = 'x'", &[true]),
            ("LOWER($User.Username", &[false]),
            ("$User.Username = LOWER('x'", &[false]),
            ("$User.Username = ", &[false]),
            ("= $User.Username", &[false]),
            ("{!$User.Username = 'x'", &[true]),
            ("CONTAINS((, $User.Username, 'x')", &[false]),
        ]);
    }

    /// xorshift64: a tiny deterministic generator, so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }
    }

    /// Check the invariants of every function on `input`; returns how many references
    /// `compared_with_literal` accepted.
    fn check_invariants(input: &str) -> usize {
        let refs = scan(input);
        let mut previous_end = 0;
        for found in &refs {
            assert!(found.start < found.end, "{input:?}: {found:?}");
            assert!(
                found.start >= previous_end,
                "ordered, non-overlapping: {input:?}"
            );
            assert!(input.is_char_boundary(found.start), "{input:?}: {found:?}");
            assert!(input.is_char_boundary(found.end), "{input:?}: {found:?}");
            assert_eq!(&input[found.start..found.end], found.text, "{input:?}");
            match found.kind {
                RefKind::UserId | RefKind::ProfileId | RefKind::RoleId => {
                    assert_eq!(literal_id_kind(&found.text), Some(found.kind));
                    assert_eq!(found.name, found.text[..15]);
                }
                _ => {
                    assert_eq!(
                        classify_reference(&found.text),
                        Some((found.kind, found.name.clone()))
                    );
                }
            }
            previous_end = found.end;
        }
        let merge_refs = scan_merge_fields(input);
        for found in &merge_refs {
            assert!(input.is_char_boundary(found.start) && input.is_char_boundary(found.end));
            assert_eq!(&input[found.start..found.end], found.text, "{input:?}");
        }
        let _ = literal_id_kind(input);
        let _ = classify_reference(input);
        // Refs from `scan_merge_fields` and shifted refs need not be globals here: no panic either way.
        for found in &merge_refs {
            let _ = compared_with_literal(input, found);
        }
        let mut compared = 0;
        for found in &refs {
            let shifted = FormulaRef {
                start: found.start + 1,
                end: found.end + 1,
                ..found.clone()
            };
            let _ = compared_with_literal(input, &shifted);
            if compared_with_literal(input, found) {
                assert!(
                    classify_reference(&found.text).is_some(),
                    "{input:?}: {found:?}"
                );
                compared += 1;
            }
        }
        compared
    }

    #[test]
    fn never_panics_and_offsets_are_exact_on_random_input() {
        const PIECES: &[&str] = &[
            "$",
            "$User",
            "$user",
            ".",
            ".Id",
            ".Username",
            "$Permission.",
            "$Setup.A__c",
            "$Profile",
            "Name",
            "'",
            "\"",
            "\\",
            "/",
            "*",
            "/*",
            "*/",
            "{!",
            "}",
            "[",
            "]",
            "(",
            ")",
            ",",
            " ",
            "\t",
            "\r\n",
            "\n",
            "005000000000001",
            "00e0X000000ds1P",
            "00E0X000000ds1P",
            "AAA",
            "AA4",
            "0",
            "x",
            "_",
            "__c",
            "é",
            "日本",
            "🦀",
            "Ä",
            "=",
            "<>",
            "&",
            "(",
            "CONTAINS(",
            "lower(",
            "CASE(",
            "'x'",
            "$User.Id",
            " = 'x'",
            ", 'x')",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut total_refs = 0;
        let mut total_compared = 0;
        let mut input = String::new();
        for _ in 0..5000 {
            input.clear();
            for _ in 0..rng.below(40) {
                input.push_str(PIECES[rng.below(PIECES.len())]);
            }
            total_compared += check_invariants(&input);
            total_refs += scan(&input).len();
        }
        // The generator must actually exercise the reporting paths.
        assert!(total_refs > 1000, "only {total_refs} refs generated");
        assert!(
            total_compared > 30,
            "only {total_compared} refs compared with literals"
        );

        let mut raw = Vec::new();
        for _ in 0..2000 {
            raw.clear();
            for _ in 0..rng.below(64) {
                raw.push(rng.next() as u8);
            }
            check_invariants(&String::from_utf8_lossy(&raw));
        }
    }
}
