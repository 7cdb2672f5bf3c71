package adtypes

// GMSAMembership returns the security descriptor AD stores in a gMSA's
// msDS-GroupMSAMembership attribute to let the principals in allowed retrieve
// its managed password (PrincipalsAllowedToRetrieveManagedPassword), in
// SDDL:
//
//	O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;<allowed[0]>)(A;;…;;;<allowed[1]>)…
//
// That is: owner BUILTIN\Administrators, no group, no SACL, and a DACL of
// revision 4 (ACLRevisionDS) holding one access-allowed ACE per principal,
// in the order given, with no flags and the mask 0xf01ff
// ([RightsDSFullControl]). Control is SE_DACL_PRESENT | SE_SELF_RELATIVE
// (0x8004). Duplicates in allowed are kept; an empty allowed gives an empty
// DACL, which lets no one retrieve the password.
//
// This is what Windows writes. An msDS-GroupMSAMembership value from a
// Windows test domain, published as test data in SpecterOps/SharpHoundCommon
// test/unit/ACLProcessorTest.cs (GMSAProperty, allowing the domain's
// Administrator), has exactly this layout — control 0x8004, the DACL at
// offset 20 with revision 4 and one ACE of mask 0xf01ff, then the owner
// S-1-5-32-544 — and this package's tests check that GMSAMembership
// reproduces it byte for byte. fortra/impacket examples/gmsaMembership.py
// builds the same descriptor.
//
// Samba 4.21+ agrees on the ACE and owner. samba-tool service-account
// group-msa-membership add (python/samba/netcmd/service_account/
// group_msa_membership.py) appends an access-allowed ACE with no flags and
// mask SEC_ADS_GENERIC_ALL (0xf01ff) to the existing DACL
// (GroupManagedServiceAccount.add_trustee in python/samba/domain/models/
// gmsa.py). A gMSA created by samba-tool starts from
// GROUP_MSA_MEMBERSHIP_DEFAULT, "O:BAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;LA)"
// (python/samba/domain/models/constants.py), so it also lists the domain
// Administrator; and Samba's SDDL decoder (libcli/security/sddl.c) gives
// every ACL revision 4.
//
// Only the read-property right matters when a DC decides who may read
// msDS-ManagedPassword: Samba's gmsa_allowed_to_view_managed_password
// (source4/dsdb/gmsa/util.c, citing [MS-ADTS] 3.1.1.4.4) runs an access
// check for SEC_ADS_READ_PROP (RightReadProperty) against this descriptor.
func GMSAMembership(allowed []SID) *SecurityDescriptor {
	owner := SID{Authority: 5, SubAuthorities: []uint32{32, 544}} // BUILTIN\Administrators
	dacl := &ACL{Revision: ACLRevisionDS}
	if len(allowed) > 0 {
		dacl.ACEs = make([]ACE, 0, len(allowed))
	}
	for _, sid := range allowed {
		dacl.ACEs = append(dacl.ACEs, ACE{
			Type: ACETypeAccessAllowed,
			Mask: RightsDSFullControl,
			SID:  SID{Authority: sid.Authority, SubAuthorities: cloneSubAuthorities(sid.SubAuthorities)},
		})
	}
	return &SecurityDescriptor{
		Control: ControlSelfRelative | ControlDACLPresent,
		Owner:   &owner,
		DACL:    dacl,
	}
}
