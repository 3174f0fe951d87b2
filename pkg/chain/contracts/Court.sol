// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {StakeRegistry} from "./StakeRegistry.sol";

/// @title Court
/// @notice "Swindle": the client of a staked agreement (see StakeRegistry.sol)
/// opens a case against its provider; the court decides it and a guilty
/// verdict forfeits the whole stake to the client. Each case is a small state
/// machine, Open -> Guilty | NotGuilty | Dismissed, and the court judges only
/// what it can check itself:
///
/// - A promise case: the claim is a promise the provider signed (EIP-712,
///   below) that it can produce data whose keccak256 is `hash`, filed under
///   `key`. The provider, or anyone for it, answers with respond(caseId, data)
///   before the deadline (opening + responseWindow): keccak256(data) == hash
///   is a verdict of not guilty. Once the deadline has passed without it,
///   anyone may call judge(caseId): guilty.
/// - A witness case: the claim names an odd number (at most 7) of witnesses,
///   a panel the provider agreed to by signing it (EIP-712, below), so that a
///   client cannot name its own accounts. Each witness testifies once, guilty
///   or not, directly (testify) or through anyone who relays its signed
///   testimony (testifySigned). The first side to reach a majority is the
///   verdict. If the deadline (opening + testimonyWindow) passes without a
///   majority, judge(caseId) dismisses the case: no verdict, stake kept.
///
/// A case may be opened only by the agreement's client, only while the
/// agreement is staked and its term not over, and only when no other case is
/// open on it; while a case is open the provider cannot unstake.
///
/// Every verdict emits Verdict and is readable in cases(caseId); the trust
/// record of an address is verdictsAgainst(address) and verdictsFor(address).
///
/// Signatures are EIP-712 in the domain {name: "Mainframe Court", version:
/// "1", chainId, verifyingContract: this court}, 65 bytes r || s || v with v
/// 27 or 28 and low s, over:
///
///     Promise(uint256 agreementId,bytes32 key,bytes32 hash)      by the provider
///     Panel(uint256 agreementId,address[] witnesses)             by the provider
///     Testimony(uint256 caseId,bool guilty)                      by a witness
contract Court is EIP712 {
    /// @notice EIP-712 type hash of a promise.
    bytes32 public constant PROMISE_TYPEHASH = keccak256("Promise(uint256 agreementId,bytes32 key,bytes32 hash)");
    /// @notice EIP-712 type hash of a witness panel.
    bytes32 public constant PANEL_TYPEHASH = keccak256("Panel(uint256 agreementId,address[] witnesses)");
    /// @notice EIP-712 type hash of a testimony.
    bytes32 public constant TESTIMONY_TYPEHASH = keccak256("Testimony(uint256 caseId,bool guilty)");
    /// @notice Most witnesses a case may call.
    uint256 public constant MAX_WITNESSES = 7;

    /// @notice What decides a case.
    enum Kind {
        Promise, // a signed promise and the response that keeps it
        Witness // the majority of a panel of witnesses
    }

    /// @notice Where a case stands.
    enum Status {
        None, // no such case
        Open,
        Guilty, // stake forfeited to the plaintiff
        NotGuilty, // stake kept
        Dismissed // witness case without a majority by the deadline; stake kept
    }

    /// @notice What a called witness said.
    enum Testimony {
        None, // not a witness of the case
        Called, // a witness that has not testified yet
        Guilty,
        NotGuilty
    }

    /// @notice A case.
    struct Case {
        uint256 agreementId;
        address plaintiff; // the agreement's client
        uint64 deadline; // unix time: respond / testify before, judge from
        Kind kind;
        Status status;
        address provider; // the accused
        uint8 witnessCount;
        uint8 guiltyVotes;
        uint8 notGuiltyVotes;
        bytes32 key; // promise cases: what the provider promised to hold...
        bytes32 hash; // ...and the keccak256 of the data that proves it
    }

    /// @notice The registry whose stakes this court judges.
    StakeRegistry public immutable registry;
    /// @notice Seconds the provider has to answer a promise case.
    uint64 public immutable responseWindow;
    /// @notice Seconds the witnesses have to reach a majority.
    uint64 public immutable testimonyWindow;

    /// @notice Number of cases ever opened; ids run from 1 to caseCount.
    uint256 public caseCount;
    /// @notice Cases by id.
    mapping(uint256 => Case) public cases;
    /// @notice The latest case opened on each agreement (0: none).
    mapping(uint256 => uint256) public latestCase;
    /// @notice What each witness of a case said (None: not a witness).
    mapping(uint256 => mapping(address => Testimony)) public testimonyOf;
    /// @notice Guilty verdicts against each provider.
    mapping(address => uint256) public verdictsAgainst;
    /// @notice Not-guilty verdicts for each provider.
    mapping(address => uint256) public verdictsFor;

    mapping(uint256 => address[]) private _witnesses;

    /// @notice `plaintiff` opened case `caseId` against `provider` on
    /// agreement `agreementId`; it must be answered before `deadline`. For a
    /// promise case `key` and `hash` are the promise; for a witness case
    /// they are zero and WitnessCalled names the witnesses.
    event CaseOpened(
        uint256 indexed caseId,
        uint256 indexed agreementId,
        address indexed provider,
        address plaintiff,
        Kind kind,
        uint64 deadline,
        bytes32 key,
        bytes32 hash
    );
    /// @notice `witness` is called to testify in case `caseId`.
    event WitnessCalled(uint256 indexed caseId, address indexed witness);
    /// @notice `witness` testified in case `caseId`.
    event Testified(uint256 indexed caseId, address indexed witness, bool guilty);
    /// @notice Case `caseId` was decided: `guilty` forfeited the stake of
    /// agreement `agreementId` to `plaintiff`, not guilty left it to `provider`.
    event Verdict(
        uint256 indexed caseId, uint256 indexed agreementId, address indexed provider, address plaintiff, bool guilty
    );
    /// @notice Witness case `caseId` closed without a majority; stake kept.
    event Dismissed(uint256 indexed caseId, uint256 indexed agreementId, address indexed provider, address plaintiff);

    constructor(StakeRegistry registry_, uint64 responseWindow_, uint64 testimonyWindow_)
        EIP712("Mainframe Court", "1")
    {
        require(address(registry_) != address(0), "Court: zero registry");
        require(responseWindow_ > 0 && testimonyWindow_ > 0, "Court: zero window");
        registry = registry_;
        responseWindow = responseWindow_;
        testimonyWindow = testimonyWindow_;
    }

    // ---- signatures ----

    /// @notice The EIP-712 digest a provider signs to promise it holds data
    /// whose keccak256 is `hash` under `key`, for agreement `agreementId`.
    function promiseDigest(uint256 agreementId, bytes32 key, bytes32 hash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PROMISE_TYPEHASH, agreementId, key, hash)));
    }

    /// @notice The EIP-712 digest a provider signs to accept `panel`, in this
    /// order, as the witnesses for agreement `agreementId`.
    function panelDigest(uint256 agreementId, address[] calldata panel) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(PANEL_TYPEHASH, agreementId, keccak256(abi.encodePacked(panel))))
        );
    }

    /// @notice The EIP-712 digest a witness signs to testify in case `caseId`.
    function testimonyDigest(uint256 caseId, bool guilty) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(TESTIMONY_TYPEHASH, caseId, guilty)));
    }

    function _signer(bytes32 digest, bytes calldata signature) private pure returns (address) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signature);
        return err == ECDSA.RecoverError.NoError ? signer : address(0);
    }

    // ---- opening ----

    /// @notice Opens a promise case on agreement `agreementId` with the
    /// provider's `signature` over Promise(agreementId, key, hash).
    /// @return caseId the new case's id.
    function openPromiseCase(uint256 agreementId, bytes32 key, bytes32 hash, bytes calldata signature)
        external
        returns (uint256 caseId)
    {
        address provider = _checkOpen(agreementId);
        address signer = _signer(promiseDigest(agreementId, key, hash), signature);
        require(signer != address(0) && signer == provider, "Court: invalid promise signature");

        caseId = _newCase(agreementId, provider, Kind.Promise, responseWindow);
        Case storage c = cases[caseId];
        c.key = key;
        c.hash = hash;
        emit CaseOpened(caseId, agreementId, provider, msg.sender, Kind.Promise, c.deadline, key, hash);
        registry.markCaseOpen(agreementId);
    }

    /// @notice Opens a witness case on agreement `agreementId` calling the
    /// witnesses in `panel` (an odd number, at most MAX_WITNESSES, distinct,
    /// neither party), with the provider's `signature` over
    /// Panel(agreementId, panel).
    /// @return caseId the new case's id.
    function openWitnessCase(uint256 agreementId, address[] calldata panel, bytes calldata signature)
        external
        returns (uint256 caseId)
    {
        address provider = _checkOpen(agreementId);
        uint256 n = panel.length;
        require(n % 2 == 1 && n <= MAX_WITNESSES, "Court: need an odd number of witnesses, at most 7");
        address signer = _signer(panelDigest(agreementId, panel), signature);
        require(signer != address(0) && signer == provider, "Court: invalid panel signature");

        caseId = _newCase(agreementId, provider, Kind.Witness, testimonyWindow);
        Case storage c = cases[caseId];
        c.witnessCount = uint8(n);
        for (uint256 i = 0; i < n; i++) {
            address w = panel[i];
            require(w != address(0), "Court: zero witness");
            require(w != provider && w != msg.sender, "Court: a party cannot be a witness");
            require(testimonyOf[caseId][w] == Testimony.None, "Court: duplicate witness");
            testimonyOf[caseId][w] = Testimony.Called;
        }
        _witnesses[caseId] = panel;
        emit CaseOpened(caseId, agreementId, provider, msg.sender, Kind.Witness, c.deadline, 0, 0);
        for (uint256 i = 0; i < n; i++) {
            emit WitnessCalled(caseId, panel[i]);
        }
        registry.markCaseOpen(agreementId);
    }

    /// @dev Checks the caller may open a case on agreement `agreementId` now
    /// and returns its provider.
    function _checkOpen(uint256 agreementId) private view returns (address) {
        (address provider, uint64 term, StakeRegistry.Status st, bool caseOpen, address client,,) =
            registry.agreements(agreementId);
        require(st != StakeRegistry.Status.None, "Court: unknown agreement");
        require(msg.sender == client, "Court: caller is not the client");
        require(st == StakeRegistry.Status.Staked, "Court: agreement not active");
        require(block.timestamp < term, "Court: agreement expired");
        require(!caseOpen, "Court: case open");
        return provider;
    }

    function _newCase(uint256 agreementId, address provider, Kind kind, uint64 window)
        private
        returns (uint256 caseId)
    {
        caseId = ++caseCount;
        Case storage c = cases[caseId];
        c.agreementId = agreementId;
        c.plaintiff = msg.sender;
        c.deadline = uint64(block.timestamp) + window;
        c.kind = kind;
        c.status = Status.Open;
        c.provider = provider;
        latestCase[agreementId] = caseId;
    }

    // ---- deciding ----

    /// @notice Answers promise case `caseId` with the promised data. Anyone
    /// may send it; before the deadline, data whose keccak256 is the promised
    /// hash is a verdict of not guilty.
    function respond(uint256 caseId, bytes calldata data) external {
        Case storage c = _openCase(caseId);
        require(c.kind == Kind.Promise, "Court: not a promise case");
        require(block.timestamp < c.deadline, "Court: deadline passed");
        require(keccak256(data) == c.hash, "Court: data does not match the promise");
        _verdict(caseId, c, false);
    }

    /// @notice Testifies in witness case `caseId` as the caller.
    function testify(uint256 caseId, bool guilty) external {
        _testify(caseId, msg.sender, guilty);
    }

    /// @notice Relays a witness's signed testimony in case `caseId`; anyone
    /// may send it, the signer is the witness.
    function testifySigned(uint256 caseId, bool guilty, bytes calldata signature) external {
        address witness = _signer(testimonyDigest(caseId, guilty), signature);
        require(witness != address(0), "Court: invalid testimony signature");
        _testify(caseId, witness, guilty);
    }

    function _testify(uint256 caseId, address witness, bool guilty) private {
        Case storage c = _openCase(caseId);
        require(c.kind == Kind.Witness, "Court: not a witness case");
        require(block.timestamp < c.deadline, "Court: deadline passed");
        Testimony t = testimonyOf[caseId][witness];
        require(t != Testimony.None, "Court: not a witness");
        require(t == Testimony.Called, "Court: already testified");

        testimonyOf[caseId][witness] = guilty ? Testimony.Guilty : Testimony.NotGuilty;
        emit Testified(caseId, witness, guilty);
        uint8 majority = c.witnessCount / 2 + 1;
        if (guilty) {
            if (++c.guiltyVotes >= majority) _verdict(caseId, c, true);
        } else {
            if (++c.notGuiltyVotes >= majority) _verdict(caseId, c, false);
        }
    }

    /// @notice Closes open case `caseId` once its deadline has passed; anyone
    /// may call it. A promise case that was not answered is guilty; a witness
    /// case without a majority is dismissed.
    function judge(uint256 caseId) external {
        Case storage c = _openCase(caseId);
        require(block.timestamp >= c.deadline, "Court: deadline not passed");
        if (c.kind == Kind.Promise) {
            _verdict(caseId, c, true);
            return;
        }
        c.status = Status.Dismissed;
        emit Dismissed(caseId, c.agreementId, c.provider, c.plaintiff);
        registry.markCaseClosed(c.agreementId);
    }

    function _openCase(uint256 caseId) private view returns (Case storage c) {
        c = cases[caseId];
        require(c.status != Status.None, "Court: unknown case");
        require(c.status == Status.Open, "Court: case closed");
    }

    function _verdict(uint256 caseId, Case storage c, bool guilty) private {
        c.status = guilty ? Status.Guilty : Status.NotGuilty;
        if (guilty) {
            verdictsAgainst[c.provider] += 1;
        } else {
            verdictsFor[c.provider] += 1;
        }
        emit Verdict(caseId, c.agreementId, c.provider, c.plaintiff, guilty);
        if (guilty) {
            registry.slash(c.agreementId, c.plaintiff);
        } else {
            registry.markCaseClosed(c.agreementId);
        }
    }

    // ---- reading ----

    /// @notice The witnesses called in case `caseId`, in the order named.
    function witnesses(uint256 caseId) external view returns (address[] memory) {
        return _witnesses[caseId];
    }
}
