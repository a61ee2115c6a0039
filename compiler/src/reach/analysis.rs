//! Full connectivity of a cluster: the connections allowed between every ordered
//! pair of workloads, and between workloads and the pieces of the address space
//! outside the cluster that the policies' ipBlocks cut out. Worked out per class
//! of indistinguishable workloads, with connection sets interned.

use std::ops::Range;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::addresses::{self, AddressRange, AddressSet};
use super::classes::{Classes, CompiledRule, NamedPort};
use super::cluster::{Cluster, Peer};
use super::connections::ConnectionSet;

/// An interned connection set.
type SetId = u32;
const NONE: SetId = 0;
const ALL: SetId = 1;

/// Piecewise-constant sets over address pieces: `(first piece, set)`, ascending.
type Runs = Vec<(u32, SetId)>;

/// What one class allows towards (or from) other classes (those with something
/// allowed, ascending), and every address piece.
type Reach = (Vec<(u32, SetId)>, Runs);

static NO_CONNECTIONS: LazyLock<ConnectionSet> = LazyLock::new(ConnectionSet::none);

/// Who can reach what, for every pair.
#[derive(Clone, Debug)]
pub struct Connectivity {
    /// Per workload: its class.
    class_of: Vec<u32>,
    class_count: usize,
    /// Distinct connection sets; `NONE` and `ALL` first.
    sets: Vec<ConnectionSet>,
    /// Row-major over classes: what class `a` may open to class `b`.
    matrix: Vec<SetId>,
    /// The pieces of the address space that ingress ipBlocks cut out (sources).
    source_pieces: Vec<AddressRange>,
    /// The pieces that egress ipBlocks cut out (destinations).
    destination_pieces: Vec<AddressRange>,
    /// Per class: what each source piece may open to it, as runs `(first piece, set)`.
    from_pieces: Vec<Runs>,
    /// Per class: what it may open to each destination piece, as runs.
    to_pieces: Vec<Runs>,
}

impl Connectivity {
    /// Works out every pair of `cluster`.
    pub fn of(cluster: &Cluster) -> Connectivity {
        let classes = Classes::new(cluster);
        let (source_pieces, destination_pieces) = address_pieces(cluster);
        let mut sets = SetTable::new(classes.rules.len());
        let class_count = classes.classes.len();

        // Into each class: one column per distinct (ingress rules, named ports), kept
        // as the sources it admits, filed under each source.
        let mut columns: FxHashMap<(&[u32], u32), usize> = FxHashMap::default();
        let mut column_values: Vec<Reach> = Vec::new();
        let mut isolated_in = vec![false; class_count];
        let mut admitted_from: Vec<Vec<(u32, SetId)>> = vec![Vec::new(); class_count];
        let mut from_pieces = Vec::with_capacity(class_count);
        for (to, class) in classes.classes.iter().enumerate() {
            let Some(rules) = &class.ingress_rules else {
                from_pieces.push(vec![(0, ALL)]);
                continue;
            };
            let key = (rules.as_slice(), class.profile);
            let next = column_values.len();
            let index = *columns.entry(key).or_insert(next);
            if index == next {
                column_values.push(sets.ingress(&classes, rules, classes.named_ports(to), &source_pieces));
            }
            let Some((admitted, pieces)) = column_values.get(index) else { continue };
            if let Some(flag) = isolated_in.get_mut(to) {
                *flag = true;
            }
            let to = u32::try_from(to).unwrap_or(u32::MAX);
            for (from, set) in admitted {
                if let Some(list) = admitted_from.get_mut(*from as usize) {
                    list.push((to, *set));
                }
            }
            from_pieces.push(pieces.clone());
        }

        // Out of each class: its egress (one per distinct rule list) met with the
        // ingress of every destination, a row at a time.
        let mut matrix = vec![NONE; class_count * class_count];
        let mut to_pieces = Vec::with_capacity(class_count);
        let mut rows: FxHashMap<&[u32], Reach> = FxHashMap::default();
        let mut out = vec![ALL; class_count];
        for (from, class) in classes.classes.iter().enumerate() {
            let Some(row) = matrix.get_mut(from * class_count..(from + 1) * class_count) else { continue };
            match class.egress_rules.as_deref() {
                None => {
                    out.fill(ALL);
                    to_pieces.push(vec![(0, ALL)]);
                }
                Some(rules) => {
                    let (allowed, pieces) =
                        rows.entry(rules).or_insert_with(|| sets.egress(&classes, rules, &destination_pieces));
                    out.fill(NONE);
                    for (to, set) in allowed.iter() {
                        if let Some(cell) = out.get_mut(*to as usize) {
                            *cell = *set;
                        }
                    }
                    to_pieces.push(pieces.clone());
                }
            }
            for ((cell, allowed_out), isolated) in row.iter_mut().zip(&out).zip(&isolated_in) {
                *cell = if *isolated { NONE } else { *allowed_out };
            }
            for (to, allowed_in) in admitted_from.get(from).into_iter().flatten() {
                let (Some(cell), Some(allowed_out)) = (row.get_mut(*to as usize), out.get(*to as usize)) else {
                    continue;
                };
                *cell = sets.intersection(*allowed_out, *allowed_in);
            }
        }
        Connectivity {
            class_of: classes.class_of,
            class_count,
            sets: sets.sets,
            matrix,
            source_pieces,
            destination_pieces,
            from_pieces,
            to_pieces,
        }
    }

    pub fn workload_count(&self) -> usize {
        self.class_of.len()
    }

    /// How many classes of workloads the policies tell apart.
    pub fn class_count(&self) -> usize {
        self.class_count
    }

    /// What workload `from` may open to workload `to` (nothing for `from == to`:
    /// a workload's pods talking among themselves are not reported).
    pub fn between(&self, from: usize, to: usize) -> &ConnectionSet {
        if from == to {
            return &NO_CONNECTIONS;
        }
        let (Some(from), Some(to)) = (self.class_of.get(from), self.class_of.get(to)) else {
            return &NO_CONNECTIONS;
        };
        let cell = (*from as usize) * self.class_count + (*to as usize);
        self.set(self.matrix.get(cell).copied().unwrap_or(NONE))
    }

    /// The pieces of the address space sources are told apart by.
    pub fn source_pieces(&self) -> &[AddressRange] {
        &self.source_pieces
    }

    /// The pieces of the address space destinations are told apart by.
    pub fn destination_pieces(&self) -> &[AddressRange] {
        &self.destination_pieces
    }

    /// What addresses in source piece `piece` may open to workload `to`.
    pub fn from_piece(&self, piece: usize, to: usize) -> &ConnectionSet {
        let runs = self.class_of.get(to).and_then(|class| self.from_pieces.get(*class as usize));
        self.set(runs.map_or(NONE, |runs| run_at(runs, piece)))
    }

    /// What workload `from` may open to addresses in destination piece `piece`.
    pub fn to_piece(&self, from: usize, piece: usize) -> &ConnectionSet {
        let runs = self.class_of.get(from).and_then(|class| self.to_pieces.get(*class as usize));
        self.set(runs.map_or(NONE, |runs| run_at(runs, piece)))
    }

    fn set(&self, id: SetId) -> &ConnectionSet {
        self.sets.get(id as usize).unwrap_or(&NO_CONNECTIONS)
    }
}

/// The classes with something allowed, and what.
fn allowed_only(by_class: &[SetId]) -> Vec<(u32, SetId)> {
    let allowed = by_class.iter().enumerate().filter(|(_, set)| **set != NONE);
    allowed.map(|(class, set)| (u32::try_from(class).unwrap_or(u32::MAX), *set)).collect()
}

/// The value of the run holding `piece`.
fn run_at(runs: &[(u32, SetId)], piece: usize) -> SetId {
    let piece = u32::try_from(piece).unwrap_or(u32::MAX);
    let after = runs.partition_point(|(first, _)| *first <= piece);
    after.checked_sub(1).and_then(|index| runs.get(index)).map_or(NONE, |(_, id)| *id)
}

/// Connection sets by id, with the unions and intersections already taken.
struct SetTable {
    sets: Vec<ConnectionSet>,
    ids: FxHashMap<ConnectionSet, SetId>,
    unions: FxHashMap<(SetId, SetId), SetId>,
    intersections: FxHashMap<(SetId, SetId), SetId>,
    /// Per rule: what it allows when that does not depend on the destination.
    fixed: Vec<Option<SetId>>,
    /// What a rule with named ports allows towards each named-port profile (`u32::MAX`: outside the cluster).
    resolved: FxHashMap<(u32, u32), SetId>,
}

impl SetTable {
    fn new(rules: usize) -> SetTable {
        let mut table = SetTable {
            sets: Vec::new(),
            ids: FxHashMap::default(),
            unions: FxHashMap::default(),
            intersections: FxHashMap::default(),
            fixed: vec![None; rules],
            resolved: FxHashMap::default(),
        };
        table.intern(ConnectionSet::none());
        table.intern(ConnectionSet::all());
        table
    }

    fn intern(&mut self, set: ConnectionSet) -> SetId {
        if let Some(id) = self.ids.get(&set) {
            return *id;
        }
        let id = SetId::try_from(self.sets.len()).unwrap_or(SetId::MAX);
        self.sets.push(set.clone());
        self.ids.insert(set, id);
        id
    }

    fn get(&self, id: SetId) -> &ConnectionSet {
        self.sets.get(id as usize).unwrap_or(&NO_CONNECTIONS)
    }

    fn union(&mut self, left: SetId, right: SetId) -> SetId {
        if left == right || right == NONE || left == ALL {
            return left;
        }
        if left == NONE || right == ALL {
            return right;
        }
        let key = (left.min(right), left.max(right));
        if let Some(id) = self.unions.get(&key) {
            return *id;
        }
        let id = self.intern(self.get(left).union(self.get(right)));
        self.unions.insert(key, id);
        id
    }

    fn intersection(&mut self, left: SetId, right: SetId) -> SetId {
        if left == right || right == ALL || left == NONE {
            return left;
        }
        if left == ALL || right == NONE {
            return right;
        }
        let key = (left.min(right), left.max(right));
        if let Some(id) = self.intersections.get(&key) {
            return *id;
        }
        let id = self.intern(self.get(left).intersection(self.get(right)));
        self.intersections.insert(key, id);
        id
    }

    /// What rule `id` allows towards a destination with `profile` (its named ports;
    /// `None` outside the cluster).
    fn allowed(&mut self, id: u32, rule: &CompiledRule, profile: Option<(u32, &[NamedPort])>) -> SetId {
        if !rule.named {
            if let Some(Some(set)) = self.fixed.get(id as usize) {
                return *set;
            }
            let set = self.intern(ConnectionSet::from_port_set(rule.ports, |_, _| None));
            if let Some(slot) = self.fixed.get_mut(id as usize) {
                *slot = Some(set);
            }
            return set;
        }
        let key = (id, profile.map_or(u32::MAX, |(profile, _)| profile));
        if let Some(set) = self.resolved.get(&key) {
            return *set;
        }
        let ports = profile.map_or(&[][..], |(_, ports)| ports);
        let set = ConnectionSet::from_port_set(rule.ports, |protocol, name| {
            ports
                .iter()
                .find(|(port_name, port_protocol, _)| port_name == name && *port_protocol == protocol)
                .map(|p| p.2)
        });
        let set = self.intern(set);
        self.resolved.insert(key, set);
        set
    }

    /// What the egress `rules` of one class allow towards every class and every
    /// destination piece.
    fn egress(&mut self, classes: &Classes, rules: &[u32], pieces: &[AddressRange]) -> Reach {
        let mut row = vec![NONE; classes.classes.len()];
        let mut spans = Vec::new();
        for id in rules {
            let Some(rule) = classes.rules.get(*id as usize) else { continue };
            if rule.named {
                for to in rule.classes.ones() {
                    let allowed = self.allowed(*id, rule, classes.named_ports(to));
                    if let Some(cell) = row.get_mut(to) {
                        *cell = self.union(*cell, allowed);
                    }
                }
            } else {
                let allowed = self.allowed(*id, rule, None);
                for to in rule.classes.ones() {
                    if let Some(cell) = row.get_mut(to) {
                        *cell = self.union(*cell, allowed);
                    }
                }
            }
            let outside = self.allowed(*id, rule, None);
            add_spans(&mut spans, rule, pieces, outside);
        }
        let runs = self.runs(spans, pieces.len());
        (allowed_only(&row), runs)
    }

    /// What the ingress `rules` of one class (whose named ports are `profile`) allow
    /// from every class and every source piece.
    fn ingress(
        &mut self,
        classes: &Classes,
        rules: &[u32],
        profile: Option<(u32, &[NamedPort])>,
        pieces: &[AddressRange],
    ) -> Reach {
        let mut column = vec![NONE; classes.classes.len()];
        let mut spans = Vec::new();
        for id in rules {
            let Some(rule) = classes.rules.get(*id as usize) else { continue };
            // Named ports resolve against this destination.
            let allowed = self.allowed(*id, rule, profile);
            for from in rule.classes.ones() {
                if let Some(cell) = column.get_mut(from) {
                    *cell = self.union(*cell, allowed);
                }
            }
            add_spans(&mut spans, rule, pieces, allowed);
        }
        let runs = self.runs(spans, pieces.len());
        (allowed_only(&column), runs)
    }

    /// Piecewise-constant runs over `count` pieces from spans that each allow a set.
    fn runs(&mut self, mut spans: Vec<(Range<usize>, SetId)>, count: usize) -> Runs {
        spans.retain(|(span, set)| !span.is_empty() && *set != NONE);
        let mut edges: Vec<usize> = spans.iter().flat_map(|(span, _)| [span.start, span.end]).collect();
        edges.push(0);
        edges.push(count);
        edges.sort_unstable();
        edges.dedup();
        spans.sort_by_key(|(span, _)| span.start);
        let mut runs: Runs = Vec::new();
        let mut active: Vec<(usize, SetId)> = Vec::new();
        let mut next_span = spans.iter().peekable();
        for edge in edges.iter().copied().filter(|edge| *edge < count.max(1)) {
            active.retain(|(end, _)| *end > edge);
            while let Some((span, set)) = next_span.next_if(|(span, _)| span.start <= edge) {
                if span.end > edge {
                    active.push((span.end, *set));
                }
            }
            let mut set = NONE;
            for (_, member) in &active {
                set = self.union(set, *member);
            }
            if runs.last().is_none_or(|(_, last)| *last != set) {
                runs.push((u32::try_from(edge).unwrap_or(u32::MAX), set));
            }
        }
        runs
    }
}

/// The spans of pieces that `rule`'s address blocks (or, without a peer list,
/// every address) cover, each allowing `allowed`.
fn add_spans(spans: &mut Vec<(Range<usize>, SetId)>, rule: &CompiledRule, pieces: &[AddressRange], allowed: SetId) {
    if allowed == NONE {
        return;
    }
    match &rule.blocks {
        None => spans.push((0..pieces.len(), allowed)),
        Some(blocks) => {
            for block in blocks {
                for range in block.ranges() {
                    spans.push((covered(pieces, range), allowed));
                }
            }
        }
    }
}

/// The pieces lying inside `range` (pieces are cut at every block edge, so they do
/// not straddle it).
fn covered(pieces: &[AddressRange], range: AddressRange) -> Range<usize> {
    let key = |piece: &AddressRange| match piece {
        AddressRange::V4(first, last) => (0u8, u128::from(*first), u128::from(*last)),
        AddressRange::V6(first, last) => (1u8, *first, *last),
    };
    let (family, first, last) = key(&range);
    let start = pieces.partition_point(|piece| {
        let (piece_family, piece_first, _) = key(piece);
        (piece_family, piece_first) < (family, first)
    });
    let end = pieces.partition_point(|piece| {
        let (piece_family, _, piece_last) = key(piece);
        (piece_family, piece_last) <= (family, last)
    });
    start..end.max(start)
}

/// The source and destination pieces: each side is cut by the ipBlocks of its own
/// direction (ingress `from` for sources, egress `to` for destinations), whatever
/// the policy selects. IPv6 is partitioned only when some block is IPv6.
pub fn address_pieces(cluster: &Cluster) -> (Vec<AddressRange>, Vec<AddressRange>) {
    let mut ingress_blocks = Vec::new();
    let mut egress_blocks = Vec::new();
    for policy in &cluster.policies {
        for (rules, blocks) in [(&policy.ingress, &mut ingress_blocks), (&policy.egress, &mut egress_blocks)] {
            let peers = rules.iter().flatten().filter_map(|rule| rule.peers.as_ref()).flatten();
            for peer in peers {
                if let Peer::Addresses(block) = peer {
                    blocks.push(AddressSet::of_block(block));
                }
            }
        }
    }
    let with_v6 = ingress_blocks.iter().chain(&egress_blocks).any(AddressSet::has_v6);
    (addresses::partition(&ingress_blocks, with_v6), addresses::partition(&egress_blocks, with_v6))
}
