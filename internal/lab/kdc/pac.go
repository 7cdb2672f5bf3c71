package kdc

import (
	"fmt"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
	"github.com/opengmsa/gmsa/internal/krb5/crypto"
	"github.com/opengmsa/gmsa/internal/krb5/msg"
	"github.com/opengmsa/gmsa/internal/krb5/msg/pac"
)

// never is FILETIME's "never" (0x7fffffffffffffff), [MS-PAC] §2.5.
const never adtypes.FileTime = 1<<63 - 1

// USER_ACCOUNT bits of [MS-SAMR] §2.2.1.12 written in UserAccountControl.
const (
	uacNormalAccount      = 0x00000010
	uacWorkstationAccount = 0x00000080
	uacDontExpirePassword = 0x00000200
)

// Group attributes Windows writes: SE_GROUP_MANDATORY | ENABLED_BY_DEFAULT
// | ENABLED.
const groupAttrs = pac.GroupMandatory | pac.GroupEnabledByDefault | pac.GroupEnabled

// buildPAC makes the PAC of a TGT or a ticket issued by the AS exchange for
// client p, authenticated at authtime under the name cname ([MS-KILE]
// §3.3.5.7, [MS-PAC] §2.5–2.10, 2.14, 2.15). It is unsigned.
func (k *KDC) buildPAC(p *Principal, cname msg.PrincipalName, authtime time.Time, requested *bool) (*pac.PAC, error) {
	domain, ok := p.UserSID.Prefix()
	if !ok {
		return nil, fmt.Errorf("account %q: SID %v has no domain prefix", p.SAMAccountName, p.UserSID)
	}
	rid, _ := p.UserSID.RID()
	logon, err := adtypes.FileTimeOf(authtime)
	if err != nil {
		return nil, fmt.Errorf("authtime %v: %w", authtime, err)
	}
	server := k.LogonServer
	if server == "" {
		server = "DC1"
	}
	li := &pac.LogonInfo{
		LogonTime:          logon,
		LogoffTime:         never,
		KickOffTime:        never,
		PasswordMustChange: never,
		EffectiveName:      p.SAMAccountName,
		FullName:           p.FullName,
		UserID:             rid,
		PrimaryGroupID:     p.PrimaryGroupRID,
		LogonServer:        server,
		LogonDomainName:    p.NetBIOSDomain,
		LogonDomainID:      domain,
		UserAccountControl: uacNormalAccount | uacDontExpirePassword,
	}
	if strings.HasSuffix(p.SAMAccountName, "$") {
		li.UserAccountControl = uacWorkstationAccount | uacDontExpirePassword
	}
	if !p.AccountExpires.IsZero() {
		if ft, err := adtypes.FileTimeOf(p.AccountExpires); err == nil {
			li.KickOffTime = ft
		}
	}
	// Domain groups by RID, the primary group first as Windows lists it;
	// SIDs of other domains (and builtin ones) as ExtraSids.
	li.GroupIDs = []pac.GroupMembership{{RelativeID: p.PrimaryGroupRID, Attributes: groupAttrs}}
	for _, g := range p.GroupSIDs {
		if gd, ok := g.Prefix(); ok && gd.Equal(domain) {
			r, _ := g.RID()
			if r != p.PrimaryGroupRID {
				li.GroupIDs = append(li.GroupIDs, pac.GroupMembership{RelativeID: r, Attributes: groupAttrs})
			}
			continue
		}
		li.ExtraSIDs = append(li.ExtraSIDs, pac.SIDAndAttributes{SID: g, Attributes: groupAttrs})
	}
	if len(li.ExtraSIDs) > 0 {
		li.UserFlags |= pac.UserFlagExtraSIDs
	}

	upn := &pac.UPNDNSInfo{
		UPN:           p.UPN,
		DNSDomainName: strings.ToUpper(p.DNSDomain),
		Flags:         pac.UPNHasSAMNameAndSID,
		SAMName:       p.SAMAccountName,
		SID:           p.UserSID,
	}
	if upn.UPN == "" {
		upn.UPN = p.SAMAccountName + "@" + strings.ToLower(p.DNSDomain)
		upn.Flags |= pac.UPNConstructed
	}
	attrs := &pac.AttributesInfo{FlagsLength: 2, Flags: pac.AttributePACWasGivenImplicitly}
	if requested != nil && *requested {
		attrs.Flags = pac.AttributePACWasRequested
	}
	requestor := p.UserSID
	return &pac.PAC{
		LogonInfo:      li,
		ClientInfo:     &pac.ClientInfo{ClientID: logon, Name: clientInfoName(cname)},
		UPNDNSInfo:     upn,
		AttributesInfo: attrs,
		Requestor:      &requestor,
	}, nil
}

// clientInfoName is PAC_CLIENT_INFO's Name: the ticket's cname without the
// realm ([MS-PAC] §2.7).
func clientInfoName(n msg.PrincipalName) string { return strings.Join(n.NameString, "/") }

// authData wraps a signed PAC as Windows does: AD-IF-RELEVANT holding one
// AD-WIN2K-PAC ([MS-KILE] §3.3.5.7.7).
func authData(signed []byte) (msg.AuthorizationData, error) {
	e, err := msg.IfRelevant(msg.AuthorizationData{{Type: msg.ADWin2KPAC, Data: signed}})
	if err != nil {
		return nil, err
	}
	return msg.AuthorizationData{e}, nil
}

// signPAC signs p for a ticket encrypted in server, with the krbtgt key.
func signPAC(p *pac.PAC, server, krbtgt crypto.Key) (msg.AuthorizationData, error) {
	signed, err := p.Sign(server, krbtgt)
	if err != nil {
		return nil, fmt.Errorf("signing the PAC: %w", err)
	}
	return authData(signed)
}
