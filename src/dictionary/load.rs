//! Loading QuickFIX's XML dictionary format into flat tables.
//!
//! ```text
//! <fix type='FIX' major='4' minor='4'>
//!   <header> field | group | component ... </header>
//!   <trailer> ... </trailer>
//!   <messages> <message name=.. msgtype=.. msgcat='admin'|'app'> ... </message> </messages>
//!   <components> <component name=..> ... </component> </components>
//!   <fields> <field number=.. name=.. type=..> <value enum=.. description=../> </field> </fields>
//! </fix>
//! ```
//! Components are expanded where they are used. A group's delimiter is its
//! first field (the first field of its first component when it opens with
//! one). Errors name the file, the line and what is wrong.

use super::index::ValueSet;
use super::{Dictionary, FieldDef, FieldType, GroupDef, MessageDef, Scope, TagSet};
use crate::codec::{ParseSpec, Tag};
use roxmltree::{Document, Node};
use std::collections::HashMap;
use std::fmt;

/// A dictionary that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictionaryError {
    /// The file (or other origin) being loaded.
    pub origin: String,
    /// The 1-based line of the offending element, where known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DictionaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.origin, line, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

impl std::error::Error for DictionaryError {}

/// How deep components and groups may nest before we call it a cycle.
const NESTING_MAX: usize = 32;

struct Loader<'a, 'input> {
    origin: &'a str,
    doc: &'a Document<'input>,
    tags_by_name: HashMap<&'a str, Tag>,
    components: HashMap<&'a str, Node<'a, 'input>>,
}

impl<'a, 'input> Loader<'a, 'input> {
    fn error(&self, node: Option<Node<'_, '_>>, message: String) -> DictionaryError {
        DictionaryError {
            origin: self.origin.to_string(),
            line: node.map(|n| self.doc.text_pos_at(n.range().start).row),
            message,
        }
    }

    fn attr(&self, node: Node<'a, 'input>, name: &str) -> Result<&'a str, DictionaryError> {
        node.attribute(name).ok_or_else(|| {
            self.error(
                Some(node),
                format!("<{}> has no '{}' attribute", node.tag_name().name(), name),
            )
        })
    }

    fn required(&self, node: Node<'a, 'input>) -> Result<bool, DictionaryError> {
        match node.attribute("required") {
            None | Some("N") | Some("n") => Ok(false),
            Some("Y") | Some("y") => Ok(true),
            Some(other) => {
                Err(self.error(Some(node), format!("required='{other}' must be 'Y' or 'N'")))
            }
        }
    }

    fn tag_of(&self, node: Node<'a, 'input>) -> Result<Tag, DictionaryError> {
        let name = self.attr(node, "name")?;
        self.tags_by_name.get(name).copied().ok_or_else(|| {
            self.error(
                Some(node),
                format!("field '{name}' is not defined in <fields>"),
            )
        })
    }

    /// Adds `node`'s children to `out`; `required_here` is false inside a
    /// component that is itself optional.
    fn add_children(
        &self,
        node: Node<'a, 'input>,
        required_here: bool,
        out: &mut ScopeBuilder,
        depth: usize,
    ) -> Result<(), DictionaryError> {
        if depth > NESTING_MAX {
            return Err(self.error(
                Some(node),
                "components or groups nest too deep (a cycle?)".to_string(),
            ));
        }
        for child in node.children().filter(Node::is_element) {
            match child.tag_name().name() {
                "field" => {
                    let tag = self.tag_of(child)?;
                    out.order.push(tag);
                    if required_here && self.required(child)? {
                        out.required.push(tag);
                    }
                }
                "group" => {
                    let count_tag = self.tag_of(child)?;
                    let mut inner = ScopeBuilder::default();
                    self.add_children(child, true, &mut inner, depth + 1)?;
                    let Some(&delimiter) = inner.order.first() else {
                        return Err(self.error(
                            Some(child),
                            format!("group '{}' has no fields", self.attr(child, "name")?),
                        ));
                    };
                    let mut members = inner.order.clone();
                    for g in &inner.groups {
                        members.extend_from_slice(&g.members);
                    }
                    members.sort_unstable();
                    members.dedup();
                    out.order.push(count_tag);
                    if required_here && self.required(child)? {
                        out.required.push(count_tag);
                    }
                    out.groups.push(GroupDef {
                        count_tag,
                        delimiter,
                        scope: inner.build(),
                        members_set: TagSet::new(&members),
                        members: members.into(),
                    });
                }
                "component" => {
                    let name = self.attr(child, "name")?;
                    let component = *self.components.get(name).ok_or_else(|| {
                        self.error(
                            Some(child),
                            format!("component '{name}' is not defined in <components>"),
                        )
                    })?;
                    let required = required_here && self.required(child)?;
                    self.add_children(component, required, out, depth + 1)?;
                }
                other => {
                    return Err(self.error(
                        Some(child),
                        format!("unexpected <{other}>; expected field, group or component"),
                    ))
                }
            }
        }
        Ok(())
    }

    fn scope_of(&self, node: Node<'a, 'input>) -> Result<Scope, DictionaryError> {
        let mut b = ScopeBuilder::default();
        self.add_children(node, true, &mut b, 0)?;
        Ok(b.build())
    }
}

#[derive(Default)]
struct ScopeBuilder {
    order: Vec<Tag>,
    required: Vec<Tag>,
    groups: Vec<GroupDef>,
}

impl ScopeBuilder {
    fn build(mut self) -> Scope {
        self.order.sort_unstable();
        self.order.dedup();
        self.required.sort_unstable();
        self.required.dedup();
        self.groups.sort_by_key(|g| g.count_tag);
        self.groups.dedup_by_key(|g| g.count_tag);
        Scope {
            fields_set: TagSet::new(&self.order),
            fields: self.order.into(),
            required: self.required.into(),
            groups: self.groups.into(),
        }
    }
}

fn child<'a, 'input>(node: Node<'a, 'input>, name: &str) -> Option<Node<'a, 'input>> {
    node.children().find(|n| n.has_tag_name(name))
}

pub(super) fn load(xml: &str, origin: &str) -> Result<Dictionary, DictionaryError> {
    let doc = Document::parse(xml).map_err(|e| DictionaryError {
        origin: origin.to_string(),
        line: Some(e.pos().row),
        message: format!("not valid XML: {e}"),
    })?;
    let root = doc.root_element();
    let mut loader = Loader {
        origin,
        doc: &doc,
        tags_by_name: HashMap::new(),
        components: HashMap::new(),
    };
    if !root.has_tag_name("fix") {
        return Err(loader.error(Some(root), "the root element must be <fix>".to_string()));
    }
    let kind = root.attribute("type").unwrap_or("FIX");
    let major = loader.attr(root, "major")?;
    let minor = loader.attr(root, "minor")?;
    let begin_string = format!("{kind}.{major}.{minor}");

    // Fields first: everything else refers to them by name.
    let fields_node = child(root, "fields")
        .ok_or_else(|| loader.error(Some(root), "no <fields> section".to_string()))?;
    let mut fields: Vec<FieldDef> = Vec::new();
    for node in fields_node.children().filter(Node::is_element) {
        let number = loader.attr(node, "number")?;
        let tag: Tag = number.parse().ok().filter(|&t| t > 0).ok_or_else(|| {
            loader.error(
                Some(node),
                format!("number='{number}' is not a positive tag"),
            )
        })?;
        let name = loader.attr(node, "name")?;
        let type_name = loader.attr(node, "type")?;
        let field_type = FieldType::from_name(type_name).ok_or_else(|| {
            loader.error(
                Some(node),
                format!("field '{name}' has unknown type '{type_name}'"),
            )
        })?;
        let mut enums: Vec<super::EnumValue> = Vec::new();
        for v in node.children().filter(|n| n.has_tag_name("value")) {
            let value = loader.attr(v, "enum")?;
            let description = v.attribute("description").unwrap_or("");
            enums.push((value.as_bytes().into(), description.into()));
        }
        enums.sort_by(|a, b| a.0.cmp(&b.0));
        if loader.tags_by_name.insert(name, tag).is_some() {
            return Err(loader.error(Some(node), format!("field name '{name}' defined twice")));
        }
        fields.push(FieldDef {
            tag,
            name: name.into(),
            field_type,
            enums: enums.into(),
        });
    }
    fields.sort_by_key(|f| f.tag);
    if let Some(w) = fields.windows(2).find(|w| w[0].tag == w[1].tag) {
        return Err(DictionaryError {
            origin: origin.to_string(),
            line: None,
            message: format!(
                "tag {} defined twice ('{}' and '{}')",
                w[0].tag, w[0].name, w[1].name
            ),
        });
    }
    let max_tag = fields.last().map_or(0, |f| f.tag) as usize;
    let mut by_tag = vec![u32::MAX; max_tag + 1];
    for (i, f) in fields.iter().enumerate() {
        by_tag[f.tag as usize] = i as u32;
    }

    if let Some(components) = child(root, "components") {
        for node in components.children().filter(Node::is_element) {
            let name = loader.attr(node, "name")?;
            loader.components.insert(name, node);
        }
    }

    let header_node = child(root, "header")
        .ok_or_else(|| loader.error(Some(root), "no <header> section".to_string()))?;
    let trailer_node = child(root, "trailer")
        .ok_or_else(|| loader.error(Some(root), "no <trailer> section".to_string()))?;
    let header = loader.scope_of(header_node)?;
    let trailer = loader.scope_of(trailer_node)?;

    let mut messages = Vec::new();
    if let Some(messages_node) = child(root, "messages") {
        for node in messages_node.children().filter(Node::is_element) {
            let name = loader.attr(node, "name")?;
            let msg_type = loader.attr(node, "msgtype")?;
            let admin = node.attribute("msgcat") == Some("admin");
            messages.push(MessageDef {
                name: name.into(),
                msg_type: msg_type.as_bytes().into(),
                admin,
                body: loader.scope_of(node)?,
            });
        }
    }
    messages.sort_by(|a, b| a.msg_type.cmp(&b.msg_type));
    if let Some(w) = messages.windows(2).find(|w| w[0].msg_type == w[1].msg_type) {
        return Err(DictionaryError {
            origin: origin.to_string(),
            line: None,
            message: format!(
                "MsgType '{}' defined twice ('{}' and '{}')",
                String::from_utf8_lossy(&w[0].msg_type),
                w[0].name,
                w[1].name
            ),
        });
    }

    // A DATA field's length is the LENGTH field one tag below it, as in
    // QuickFIX, except Signature (89) whose length is SignatureLength (93).
    let field_type = |tag: Tag| {
        by_tag
            .get(tag as usize)
            .filter(|&&i| i != u32::MAX)
            .map(|&i| fields[i as usize].field_type)
    };
    let mut data_pairs = Vec::new();
    for f in fields
        .iter()
        .filter(|f| matches!(f.field_type, FieldType::Data | FieldType::XmlData))
    {
        let length_tag = if f.tag == 89 { 93 } else { f.tag - 1 };
        if field_type(length_tag) == Some(FieldType::Length) {
            data_pairs.push((length_tag, f.tag));
        }
    }
    let header_tags: Vec<Tag> = header
        .fields
        .iter()
        .copied()
        .chain(header.groups.iter().flat_map(|g| g.members.iter().copied()))
        .collect();
    let trailer_tags: Vec<Tag> = trailer.fields.to_vec();
    let parse_spec = ParseSpec::new(&header_tags, &trailer_tags, &data_pairs);

    let mut messages_by_byte = Box::new([u32::MAX; 256]);
    for (i, m) in messages.iter().enumerate() {
        if let [b] = *m.msg_type {
            messages_by_byte[b as usize] = i as u32;
        }
    }
    let enum_sets = fields.iter().map(|f| ValueSet::new(&f.enums)).collect();
    Ok(Dictionary {
        origin: origin.into(),
        messages_by_byte,
        enum_sets,
        begin_string: begin_string.into(),
        fields: fields.into(),
        by_tag: by_tag.into(),
        header,
        trailer,
        messages: messages.into(),
        parse_spec,
    })
}

#[cfg(test)]
mod tests {
    use super::super::Dictionary;

    fn wrap(body: &str) -> String {
        format!(
            "<fix type='FIX' major='4' minor='4'><header><field name='BeginString' required='Y'/></header>\
             <trailer><field name='CheckSum' required='Y'/></trailer>{body}</fix>"
        )
    }

    const FIELDS: &str = "<fields><field number='8' name='BeginString' type='STRING'/>\
        <field number='10' name='CheckSum' type='STRING'/>\
        <field number='11' name='ClOrdID' type='STRING'/>\
        <field number='55' name='Symbol' type='STRING'/>\
        <field number='146' name='NoRelatedSym' type='NUMINGROUP'/></fields>";

    #[test]
    fn the_shipped_fix44_dictionary_loads_with_quickfix_semantics() {
        let d = Dictionary::fix44();
        assert_eq!(d.begin_string(), "FIX.4.4");
        let nos = d.message(b"D").unwrap();
        assert_eq!(&*nos.name, "NewOrderSingle");
        // Instrument is a required component, but Symbol inside it is not.
        assert_eq!(&*nos.body.required, &[11, 40, 54, 60]);
        assert!(!nos.body.allows(448) && nos.body.group(453).is_some());
        assert_eq!(nos.body.group(453).unwrap().delimiter, 448);
        assert!(d.message(b"0").unwrap().admin);
        assert_eq!(&*d.header().required, &[8, 9, 34, 35, 49, 52, 56]);
        assert!(d.parse_spec().is_header(627) && d.parse_spec().is_header(628));
        assert!(d.parse_spec().is_trailer(93));
        assert_eq!(d.field(54).unwrap().describe(b"1"), Some("BUY"));
    }

    #[test]
    fn errors_name_the_file_line_and_problem() {
        let e = Dictionary::from_xml(&wrap(&format!("<messages><message name='X' msgtype='x'>\n<field name='Nope' required='Y'/></message></messages>{FIELDS}")), "lp.xml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "lp.xml:2: field 'Nope' is not defined in <fields>"
        );
        let e = Dictionary::from_xml(
            &wrap("<fields><field number='x' name='A' type='INT'/></fields>"),
            "lp.xml",
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("number='x' is not a positive tag"),
            "{e}"
        );
        let e = Dictionary::from_xml(
            &wrap("<fields><field number='1' name='A' type='WIDGET'/></fields>"),
            "lp.xml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown type 'WIDGET'"), "{e}");
        let e = Dictionary::from_xml("<fix", "lp.xml").unwrap_err();
        assert!(e.to_string().starts_with("lp.xml:1: not valid XML"), "{e}");
        let e = Dictionary::from_xml(&wrap(&format!("<messages><message name='X' msgtype='x'><component name='Loop' required='Y'/></message></messages><components><component name='Loop'><component name='Loop' required='Y'/></component></components>{FIELDS}")), "lp.xml").unwrap_err();
        assert!(e.to_string().contains("nest too deep"), "{e}");
    }

    #[test]
    fn a_custom_dictionary_with_groups_and_components_loads() {
        let xml = wrap(&format!(
            "<messages><message name='Q' msgtype='U1' msgcat='app'><field name='ClOrdID' required='Y'/>\
             <group name='NoRelatedSym' required='Y'><component name='Inst' required='Y'/></group>\
             <component name='Opt' required='N'/></message></messages>\
             <components><component name='Inst'><field name='Symbol' required='Y'/></component>\
             <component name='Opt'><field name='BeginString' required='Y'/></component></components>{FIELDS}"
        ));
        let d = Dictionary::from_xml(&xml, "lp.xml").unwrap();
        let q = d.message(b"U1").unwrap();
        // Required through a required component; not through an optional one.
        assert_eq!(&*q.body.required, &[11, 146]);
        assert!(q.body.allows(8));
        let g = q.body.group(146).unwrap();
        assert_eq!((g.delimiter, &*g.scope.required), (55, &[55][..]));
    }
}
