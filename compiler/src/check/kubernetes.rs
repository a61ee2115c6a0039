//! Kubernetes' own validation rules for the values npg writes into objects:
//! names, label keys and values, port names and numbers, CIDRs, RBAC subjects.
